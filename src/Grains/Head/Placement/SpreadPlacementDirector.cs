namespace Granary.Grains.Head.Placement;

/// <summary>Round robin over the nodes that fit (the one Spread picked longest ago first), then the least busy; the head last.</summary>
internal sealed class SpreadPlacementDirector : IPlacementDirector
{
    private long _turn;

    public IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode
    {
        var best = fitting.OrderBy(n => n.IsHead ? 1 : 0)
            .ThenBy(n => n.SpreadTurn)
            .ThenBy(n => Math.Round(n.Utilization, 6))
            .ThenBy(n => n.Order)
            .First();
        best.SpreadTurn = ++_turn;
        return best;
    }
}
