namespace Granary.TestGrains.Placement;

/// <summary>Placed only on silos with A100 GPUs (the type matches ignoring case).</summary>
[GpuTypePlacement("a100")]
public sealed class A100Grain : PlacedGrain;
