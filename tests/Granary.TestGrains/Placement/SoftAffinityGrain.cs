namespace Granary.TestGrains.Placement;

/// <summary>On node gpu-a100 while it is there.</summary>
[NodeAffinityPlacement("gpu-a100", soft: true)]
public sealed class SoftAffinityGrain : PlacedGrain;
