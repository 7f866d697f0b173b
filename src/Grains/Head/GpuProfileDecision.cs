namespace Granary.Grains.Head;

/// <summary>How the head places one GPU memory request of a profiled job type: and for packing, the bytes to reserve.</summary>
internal readonly record struct GpuProfileDecision(GpuProfileMode Mode, long ReserveBytes);
