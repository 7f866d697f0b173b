using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>Turns a node's record from the head, with its last sample, into the public <see cref="NodeMetrics"/>.</summary>
internal static class NodeMetricsReader
{
    public static NodeMetrics From(NodeInfo node, NodeSample sample) => new()
    {
        NodeId = node.NodeId,
        IsHead = node.IsHead,
        SampledAt = DateTimeOffset.FromUnixTimeMilliseconds(sample.SampledAtUnixMs),
        CpuPercent = sample.CpuPercent,
        ProcessCpuPercent = sample.ProcessCpuPercent,
        MemoryUsedBytes = sample.MemoryUsedBytes,
        MemoryTotalBytes = sample.MemoryTotalBytes,
        ProcessMemoryBytes = sample.ProcessMemoryBytes,
        Gpus = [.. sample.Gpus.Select(g => new GpuMetrics
        {
            Index = g.Index,
            UtilizationPercent = g.UtilizationPercent,
            MemoryUsedBytes = g.MemoryUsedBytes,
            MemoryTotalBytes = g.MemoryTotalBytes,
            Simulated = g.Simulated,
        })],
        RunningTasks = node.RunningTasks,
        QueuedTasks = node.QueuedTasks,
        Leases = sample.Leases,
        ObjectStoreObjects = node.Store?.Objects ?? 0,
        ObjectStoreBytes = node.Store?.MemoryBytes ?? 0,
        ObjectStoreSpilledBytes = node.Store?.SpilledBytes ?? 0,
        ObjectStoreCapacityBytes = node.Store?.CapacityBytes ?? 0,
        Spills = sample.Spills,
    };
}
