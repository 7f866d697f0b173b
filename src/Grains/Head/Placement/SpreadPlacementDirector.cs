namespace Granary.Grains.Head.Placement;

/// <summary>Least busy node that fits; among equals the one picked longest ago, so work rotates over nodes.</summary>
internal sealed class SpreadPlacementDirector : IPlacementDirector
{
    private long _turn;

    public IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement) => nodes;

    public string NoEligibleReason(Runtime.Wire.Placement placement) => "no node is alive";

    public NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement)
    {
        var best = fitting.OrderBy(n => n.Info.IsHead ? 1 : 0)
            .ThenBy(n => Math.Round(n.Available.Utilization(n.Total), 6))
            .ThenBy(n => n.SpreadTurn)
            .ThenBy(n => n.Order)
            .First();
        best.SpreadTurn = ++_turn;
        return best;
    }
}
