namespace Granary.TestGrains.Placement;

/// <summary>Activations fill the busiest silo.</summary>
[PackPlacement]
public sealed class PackGrain : PlacedGrain;
