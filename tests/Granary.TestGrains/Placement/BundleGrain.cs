namespace Granary.TestGrains.Placement;

/// <summary>Placed on the node of the bundle its first caller names.</summary>
[PlacementGroupPlacement]
public sealed class BundleGrain : PlacedGrain;
