namespace Granary.TestGrains.Placement;

/// <summary>Soft affinity to a node that never joins: packs over the others instead.</summary>
[NodeAffinityPlacement("no-such-node", soft: true)]
public sealed class SoftAffinityToAbsentNodeGrain : PlacedGrain;
