namespace Granary.Grains.Head.Placement;

/// <summary>The named node only (hard), or the named node first and packing otherwise (soft).</summary>
internal sealed class NodeAffinityPlacementDirector : IPlacementDirector
{
    public IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode =>
        placement.Soft ? nodes : nodes.Where(n => n.NodeId == placement.NodeId);

    public string NoEligibleReason(Runtime.Wire.Placement placement) =>
        $"node {placement.NodeId} (hard node affinity) is not alive; use a live node id from GetNodesAsync(), or soft affinity to fall back";

    public TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode =>
        fitting.FirstOrDefault(n => n.NodeId == placement.NodeId) ?? PackPlacementDirector.Busiest(fitting);
}
