using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Placement;

/// <summary>Carries out one placement strategy inside the head (Orleans' director, one per strategy kind).</summary>
internal interface IPlacementDirector
{
    /// <summary>The nodes the strategy allows at all (hard constraints only).</summary>
    IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement);

    /// <summary>Why no node is eligible, for the infeasible error.</summary>
    string NoEligibleReason(Runtime.Wire.Placement placement);

    /// <summary>Picks among eligible nodes that fit now (never empty).</summary>
    NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement);
}
