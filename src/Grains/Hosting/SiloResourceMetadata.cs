using System.Collections.Immutable;
using System.Globalization;
using Granary.Runtime.Gpus;
using Granary.Runtime.Scheduling;

namespace Granary.Grains.Hosting;

/// <summary>
/// A silo's static resources as Orleans silo metadata: written once at start by <c>UseGranary</c>, read by
/// Granary's placement directors on every silo through <c>ISiloMetadataCache</c>. Keys (all strings,
/// invariant culture): <c>granary.role</c> (head/worker), <c>granary.node-id</c>, <c>granary.cpus</c>,
/// <c>granary.memory-bytes</c>, <c>granary.gpus</c> (count), <c>granary.gpu-types</c> and
/// <c>granary.gpu-memory-bytes</c> (one entry per device, '|'-separated, as device names hold commas and
/// spaces), and <c>granary.resource.NAME</c> per custom resource. Immutable, so thread-safe.
/// </summary>
internal sealed record SiloResourceMetadata(
    string NodeId,
    bool IsHead,
    double Cpus,
    long MemoryBytes,
    IReadOnlyList<string> GpuTypes,
    IReadOnlyList<long> GpuMemoryBytes,
    IReadOnlyDictionary<string, double> Resources)
{
    public const string NodeIdKey = "granary.node-id";
    public const string CpusKey = "granary.cpus";
    public const string MemoryKey = "granary.memory-bytes";
    public const string GpusKey = "granary.gpus";
    public const string GpuTypesKey = "granary.gpu-types";
    public const string GpuMemoryKey = "granary.gpu-memory-bytes";
    public const string ResourcePrefix = "granary.resource.";
    private const char DeviceSeparator = '|';

    public int Gpus => GpuTypes.Count;

    /// <summary>Matches as the head's scheduler does: any device whose name contains the type, ignoring case.</summary>
    public bool HasGpuType(string type) => GpuTypes.Any(g => g.Contains(type, StringComparison.OrdinalIgnoreCase));

    /// <summary>What a silo started with these options and GPUs publishes.</summary>
    public static SiloResourceMetadata Describe(string nodeId, GranarySiloOptions options, GpuInventory gpus)
    {
        var offered = options.OfferedResources(gpus);
        var custom = offered.Amounts.Where(a => a.Key is not (ResourceSet.Cpu or ResourceSet.Gpu or ResourceSet.Memory)).ToImmutableSortedDictionary(StringComparer.Ordinal);
        return new SiloResourceMetadata(
            nodeId,
            options.IsHead,
            offered[ResourceSet.Cpu],
            (long)offered[ResourceSet.Memory],
            gpus.Devices.Select(d => d.Type).ToArray(),
            gpus.Devices.Select(d => d.MemoryBytes).ToArray(),
            custom);
    }

    public Dictionary<string, string> Write()
    {
        var metadata = new Dictionary<string, string>
        {
            [SiloNames.RoleKey] = IsHead ? SiloNames.HeadRole : SiloNames.WorkerRole,
            [NodeIdKey] = NodeId,
            [CpusKey] = Cpus.ToString("R", CultureInfo.InvariantCulture),
            [MemoryKey] = MemoryBytes.ToString(CultureInfo.InvariantCulture),
            [GpusKey] = Gpus.ToString(CultureInfo.InvariantCulture),
            [GpuTypesKey] = string.Join(DeviceSeparator, GpuTypes.Select(t => t.Replace(DeviceSeparator, ' '))),
            [GpuMemoryKey] = string.Join(DeviceSeparator, GpuMemoryBytes.Select(m => m.ToString(CultureInfo.InvariantCulture))),
        };
        foreach (var (name, amount) in Resources)
        {
            metadata[ResourcePrefix + name] = amount.ToString("R", CultureInfo.InvariantCulture);
        }

        return metadata;
    }

    /// <summary>Null when the silo published no Granary resources (not a Granary silo, or its metadata has not arrived yet).</summary>
    public static SiloResourceMetadata? Parse(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(NodeIdKey, out var nodeId) || string.IsNullOrEmpty(nodeId))
        {
            return null;
        }

        var gpus = int.Parse(metadata.GetValueOrDefault(GpusKey, "0"), CultureInfo.InvariantCulture);
        var types = gpus == 0 ? [] : metadata.GetValueOrDefault(GpuTypesKey, string.Empty).Split(DeviceSeparator);
        var memory = gpus == 0 ? [] : metadata.GetValueOrDefault(GpuMemoryKey, string.Empty).Split(DeviceSeparator).Select(m => long.Parse(m, CultureInfo.InvariantCulture)).ToArray();
        var custom = metadata.Where(m => m.Key.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToImmutableSortedDictionary(m => m.Key[ResourcePrefix.Length..], m => double.Parse(m.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new SiloResourceMetadata(
            nodeId,
            metadata.GetValueOrDefault(SiloNames.RoleKey) == SiloNames.HeadRole,
            double.Parse(metadata.GetValueOrDefault(CpusKey, "0"), CultureInfo.InvariantCulture),
            long.Parse(metadata.GetValueOrDefault(MemoryKey, "0"), CultureInfo.InvariantCulture),
            types,
            memory,
            custom);
    }
}
