namespace Granary;

/// <summary>One GPU's use at the moment its node sampled it (see <see cref="NodeMetrics"/>).</summary>
public sealed record GpuMetrics
{
    /// <summary>The device's index on its node, as in <see cref="GpuDevice.Index"/>.</summary>
    public int Index { get; init; }

    /// <summary>
    /// Busy share of the device, 0-100: NVML's utilisation rate on a real GPU; on a simulated one, 100 while
    /// a task on a lease that holds it runs, else 0.
    /// </summary>
    public double UtilizationPercent { get; init; }

    /// <summary>Device memory in use: NVML's figure, or on a simulated GPU all of it while a lease or actor holds the device.</summary>
    public long MemoryUsedBytes { get; init; }

    public long MemoryTotalBytes { get; init; }

    /// <summary>True when the device is simulated from silo flags and the figures are made up from what Granary placed on it.</summary>
    public bool Simulated { get; init; }
}
