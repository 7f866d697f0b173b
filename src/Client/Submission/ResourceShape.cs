using System.Globalization;
using System.Text;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>Turns resource options into the wire request and a key that groups tasks of the same shape.</summary>
internal static class ResourceShape
{
    public static (string Key, ResourceRequest Request) For(ResourceOptions options, double defaultCpus, PlacementStrategy? declared = null, string? localNodeId = null, GpuMemoryRequest? gpuMemory = null)
    {
        var amounts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var cpus = options.Cpus ?? defaultCpus;
        if (cpus > 0)
        {
            amounts[ResourceSet.Cpu] = cpus;
        }

        if (options.Gpus > 0)
        {
            amounts[ResourceSet.Gpu] = options.Gpus;
        }

        if (options.MemoryBytes > 0)
        {
            amounts[ResourceSet.Memory] = options.MemoryBytes;
        }

        foreach (var (name, amount) in options.Resources)
        {
            if (amount > 0)
            {
                amounts[name] = amount;
            }
        }

        var placement = (options.Placement ?? declared ?? PackPlacement.Instance).ToWire();
        if (placement.Kind == PlacementKind.PreferLocal)
        {
            placement.PreferredNodeId = TaskContext.Current?.NodeId ?? localNodeId ?? string.Empty;
        }

        if (options.PlacementGroup is { } group)
        {
            placement.PlacementGroupId = group.Id;
            if (options.BundleIndex is { } index)
            {
                placement.BundleIndex = index;
            }
        }

        var key = new StringBuilder();
        var request = new ResourceRequest { Amounts = new ResourceMap(), Placement = placement };
        foreach (var (name, amount) in amounts)
        {
            request.Amounts.Amounts[name] = amount;
            key.Append(name).Append('=').Append(amount.ToString(CultureInfo.InvariantCulture)).Append(';');
        }

        // Work with another placement must not share leases with this shape.
        key.Append('|').Append(placement);
        if (gpuMemory is not null)
        {
            // Each job type is placed by its own profile, so it has a queue of its own.
            request.GpuMemory = gpuMemory;
            key.Append("|gpu-memory=").Append(gpuMemory.JobType).Append(gpuMemory.Alone ? "|alone" : string.Empty);
        }

        return (key.ToString(), request);
    }
}
