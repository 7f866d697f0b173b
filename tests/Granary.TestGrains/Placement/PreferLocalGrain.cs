namespace Granary.TestGrains.Placement;

/// <summary>Placed on the silo that activates it.</summary>
[Granary.PreferLocalPlacement]
public sealed class PreferLocalGrain : PlacedGrain;
