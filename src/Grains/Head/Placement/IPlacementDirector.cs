namespace Granary.Grains.Head.Placement;

/// <summary>
/// Carries out one placement strategy (Orleans' director, one per strategy kind) over any node view: the
/// head's scheduler uses it for leases, Granary's Orleans directors for user grains.
/// </summary>
internal interface IPlacementDirector
{
    /// <summary>The nodes the strategy allows at all (hard constraints only).</summary>
    IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode;

    /// <summary>Why no node is eligible, for the infeasible error.</summary>
    string NoEligibleReason(Runtime.Wire.Placement placement);

    /// <summary>Picks among eligible nodes that fit now (never empty).</summary>
    TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode;
}
