namespace Granary.Grains.Metrics;

/// <summary>One reading of <see cref="HostProbe"/>: CPU shares are 0-100 of every core.</summary>
internal readonly record struct HostReading(double CpuPercent, double ProcessCpuPercent, long MemoryUsedBytes, long MemoryTotalBytes, long ProcessMemoryBytes);
