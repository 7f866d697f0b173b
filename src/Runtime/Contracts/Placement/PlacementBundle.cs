namespace Granary;

/// <summary>
/// Where a reserved bundle landed, and what it holds. <see cref="GpuIds"/> are the head's numbers for the
/// node's GPUs, 0 to its GPU count - 1: the device indexes themselves unless the node was started with
/// CUDA_VISIBLE_DEVICES, when the n-th number is the n-th device it lists. Work placed in the bundle sees the
/// device itself in <see cref="TaskContext.GpuIds"/>.
/// </summary>
public sealed record PlacementBundle(int Index, string NodeId, IReadOnlyDictionary<string, double> Resources, IReadOnlyList<int> GpuIds);
