namespace Granary.Grains.Head.Placement;

/// <summary>Round robin over the nodes that fit (the one Spread picked longest ago first), then the least busy; the head last.</summary>
internal sealed class SpreadPlacementDirector : IPlacementDirector
{
    private long _turn;

    public IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement) => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement)
    {
        var best = fitting.OrderBy(n => n.Info.IsHead ? 1 : 0)
            .ThenBy(n => n.SpreadTurn)
            .ThenBy(n => Math.Round(n.Available.Utilization(n.Total), 6))
            .ThenBy(n => n.Order)
            .First();
        best.SpreadTurn = ++_turn;
        return best;
    }
}
