namespace Granary.Grains.Head.Placement;

/// <summary>The caller's node when it fits, packing otherwise.</summary>
internal sealed class PreferLocalPlacementDirector : IPlacementDirector
{
    public IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement) => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement) =>
        fitting.FirstOrDefault(n => n.NodeId == placement.PreferredNodeId) ?? PackPlacementDirector.Busiest(fitting);
}
