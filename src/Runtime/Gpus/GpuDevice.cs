namespace Granary;

/// <summary>
/// One GPU a silo offers to tasks: its index on the node (what <c>TaskContext.GpuIds</c> and
/// CUDA_VISIBLE_DEVICES refer to), its model name (matched by GPU-type placement) and its total memory.
/// Devices come from NVML on real GPU nodes, or are simulated from silo flags where NVML is unavailable.
/// </summary>
/// <param name="Index">Zero-based device index on this node.</param>
/// <param name="Type">Model name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="MemoryBytes">Total device memory in bytes.</param>
public sealed record GpuDevice(int Index, string Type, long MemoryBytes);
