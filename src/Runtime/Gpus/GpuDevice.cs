namespace Granary;

/// <summary>
/// One GPU a silo offers to tasks: its device index on the node (what <c>TaskContext.GpuIds</c> and a worker
/// process's CUDA_VISIBLE_DEVICES hold), its model name (matched by GPU-type placement), its total memory
/// and its UUID. Devices come from NVML on real GPU nodes, or are simulated from silo flags where NVML is
/// unavailable. A node restricted by CUDA_VISIBLE_DEVICES keeps each device's own index, so a node offering
/// devices 2 and 3 lists indexes 2 and 3, not 0 and 1.
/// </summary>
/// <param name="Index">Zero-based device index on this node, as NVML (and nvidia-smi) number it.</param>
/// <param name="Type">Model name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="MemoryBytes">Total device memory in bytes.</param>
/// <param name="Uuid">
/// The device's UUID, e.g. "GPU-5e1b0c1a-...", which CUDA_VISIBLE_DEVICES may name instead of the index;
/// "GPU-simulated-INDEX" on a simulated device; null when NVML could not read it.
/// </param>
public sealed record GpuDevice(int Index, string Type, long MemoryBytes, string? Uuid = null);
