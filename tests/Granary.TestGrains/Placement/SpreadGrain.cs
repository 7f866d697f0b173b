namespace Granary.TestGrains.Placement;

/// <summary>Activations take turns over the silos.</summary>
[SpreadPlacement]
public sealed class SpreadGrain : PlacedGrain;
