namespace Granary.Grains.Head.Placement;

/// <summary>The caller's node when it fits, packing otherwise.</summary>
internal sealed class PreferLocalPlacementDirector : IPlacementDirector
{
    public IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode =>
        fitting.FirstOrDefault(n => n.NodeId == placement.PreferredNodeId) ?? PackPlacementDirector.Busiest(fitting);
}
