namespace Granary.TestGrains.Placement;

/// <summary>Placed on node worker-cpu, or nowhere.</summary>
[NodeAffinityPlacement("worker-cpu")]
public sealed class HardAffinityGrain : PlacedGrain;
