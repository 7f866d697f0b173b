using System.Globalization;
using System.Text;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>Turns resource options into the wire request and a key that groups tasks of the same shape.</summary>
internal static class ResourceShape
{
    public static (string Key, ResourceRequest Request) For(ResourceOptions options, double defaultCpus)
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

        var key = new StringBuilder();
        var request = new ResourceRequest { Amounts = new ResourceMap(), Placement = new Placement() };
        foreach (var (name, amount) in amounts)
        {
            request.Amounts.Amounts[name] = amount;
            key.Append(name).Append('=').Append(amount.ToString(CultureInfo.InvariantCulture)).Append(';');
        }

        return (key.ToString(), request);
    }
}
