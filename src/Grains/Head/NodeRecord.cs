using Granary.Runtime.Gpus;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's record of one node. Lifecycle:
/// <code>
///   register ──► Alive ◄──── heartbeat ──── Suspect (connection lost; no new work)
///                  │  └──── connection lost ───►  │
///                  ├── drain ──► Draining          │ no heartbeat within the timeout
///                  ▼                               ▼
///                 Dead ◄──────────────────────────┘   (deregister, or timeout)
/// </code>
/// Not thread-safe: the scheduler guards it with its lock.
/// </summary>
internal sealed class NodeRecord : Placement.IPlacementNode
{
    public NodeRecord(NodeInfo info, int order)
    {
        Info = info;
        Order = order;
        Total = ResourceSet.FromWire(info.Total);
        Available = Total.Clone();
        Gpus = new GpuAllocator((int)Math.Round(Total[ResourceSet.Gpu]), [.. info.Gpus.Select(g => g.MemoryBytes)]);
        LastHeartbeat = Environment.TickCount64;
    }

    public NodeInfo Info { get; }

    public string NodeId => Info.NodeId;

    public string Address => Info.Address;

    public int Order { get; }

    long Placement.IPlacementNode.Order => Order;

    public bool IsHead => Info.IsHead;

    /// <summary>The share of this node's resources leased out (what packing fills and spreading evens).</summary>
    public double Utilization => Available.Utilization(Total);

    public ResourceSet Total { get; }

    public ResourceSet Available { get; }

    public GpuAllocator Gpus { get; }

    public NodeState State { get; set; } = NodeState.Alive;

    public long LastHeartbeat { get; set; }

    public string DeathReason { get; set; } = string.Empty;

    public int RunningTasks { get; set; }

    public int QueuedTasks { get; set; }

    public ObjectStoreStats? Store { get; set; }

    /// <summary>The node's last resource sample, from its heartbeats.</summary>
    public NodeSample? Metrics { get; set; }

    /// <summary>When Spread last picked this node, so equals take turns.</summary>
    public long SpreadTurn { get; set; }

    /// <summary>Only alive nodes take new work.</summary>
    public bool Schedulable => State == NodeState.Alive;

    /// <summary>Counts toward feasibility: a suspect or draining node may still come back.</summary>
    public bool Present => State != NodeState.Dead;

    public bool HasGpuType(string type) =>
        Info.Gpus.Any(g => g.Type.Contains(type, StringComparison.OrdinalIgnoreCase));

    public NodeInfo Snapshot()
    {
        var info = Info.Clone();
        info.Available = Available.ToWire();
        info.State = State;
        info.Alive = State != NodeState.Dead;
        info.RunningTasks = RunningTasks;
        info.QueuedTasks = QueuedTasks;
        info.HeartbeatAgeMs = Environment.TickCount64 - LastHeartbeat;
        info.DeathReason = DeathReason;
        info.Store = Store?.Clone();
        info.Metrics = Metrics?.Clone();
        return info;
    }
}
