namespace Granary;

/// <summary>
/// One node's resource use at one moment, as its metrics monitor sampled it (with each load report to the
/// head, about once a second): host and silo-process CPU and memory, each GPU, tasks, leases and the object
/// store. <see cref="GranaryClient.MonitorAsync"/> streams these.
/// </summary>
public sealed record NodeMetrics
{
    public required string NodeId { get; init; }

    /// <summary>True for the head silo.</summary>
    public bool IsHead { get; init; }

    /// <summary>When the node took the sample (its own clock).</summary>
    public DateTimeOffset SampledAt { get; init; }

    /// <summary>Busy share of all the host's cores since the node's previous sample, 0-100.</summary>
    public double CpuPercent { get; init; }

    /// <summary>The silo process's CPU time since its previous sample, as a share of all the host's cores, 0-100.</summary>
    public double ProcessCpuPercent { get; init; }

    /// <summary>Host memory in use (total less what the kernel reports available).</summary>
    public long MemoryUsedBytes { get; init; }

    public long MemoryTotalBytes { get; init; }

    /// <summary>Resident memory of the silo process.</summary>
    public long ProcessMemoryBytes { get; init; }

    /// <summary>The node's GPUs, in index order; empty on a node without any.</summary>
    public IReadOnlyList<GpuMetrics> Gpus { get; init; } = [];

    /// <summary>Tasks running on the node's leases.</summary>
    public int RunningTasks { get; init; }

    /// <summary>Tasks pushed to the node's leases that have not started.</summary>
    public int QueuedTasks { get; init; }

    /// <summary>Leases open on the node.</summary>
    public int Leases { get; init; }

    /// <summary>Objects in the node's store, in memory or spilled.</summary>
    public int ObjectStoreObjects { get; init; }

    /// <summary>Bytes of stored objects held in memory.</summary>
    public long ObjectStoreBytes { get; init; }

    /// <summary>Bytes of stored objects spilled to disk.</summary>
    public long ObjectStoreSpilledBytes { get; init; }

    /// <summary>Bytes the store keeps in memory before it spills.</summary>
    public long ObjectStoreCapacityBytes { get; init; }

    /// <summary>Objects the store has spilled to disk since the node started.</summary>
    public long Spills { get; init; }
}
