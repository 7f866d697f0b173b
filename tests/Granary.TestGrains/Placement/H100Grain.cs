namespace Granary.TestGrains.Placement;

/// <summary>Placed only on silos with H100 GPUs.</summary>
[GpuTypePlacement("H100")]
public sealed class H100Grain : PlacedGrain;
