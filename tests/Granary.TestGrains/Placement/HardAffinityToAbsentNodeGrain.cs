namespace Granary.TestGrains.Placement;

/// <summary>Hard affinity to a node that never joins: placing it fails.</summary>
[NodeAffinityPlacement("no-such-node")]
public sealed class HardAffinityToAbsentNodeGrain : PlacedGrain;
