using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// Run on one named node. Hard (the default) waits for that node and fails when it is gone; soft falls
/// back to the other nodes when that one cannot host the work.
/// </summary>
public sealed class NodeAffinityPlacement(string nodeId, bool soft = false) : PlacementStrategy
{
    public string NodeId { get; } = string.IsNullOrWhiteSpace(nodeId) ? throw new ArgumentException("NodeAffinityPlacement needs a node id; list them with GetNodesAsync().", nameof(nodeId)) : nodeId;

    public bool Soft { get; } = soft;

    internal override Placement ToWire() => new() { Kind = PlacementKind.NodeAffinity, NodeId = NodeId, Soft = Soft };
}
