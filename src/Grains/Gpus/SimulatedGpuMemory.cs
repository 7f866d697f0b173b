using Granary.Runtime.Gpus;

namespace Granary.Grains.Gpus;

/// <summary>
/// The memory of a silo's simulated GPUs, as the tasks on them report it: a device is out of memory when
/// the reports of the tasks on it add up to more than it has, as CUDA refuses the allocation that does not
/// fit. Each task's peak is kept until its run ends, which is what profiling measures on a simulated
/// device. On real devices it records nothing (NVML measures). Thread-safe.
/// </summary>
internal sealed class SimulatedGpuMemory(GpuInventory gpus) : IGpuMemoryReporter
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Dictionary<string, long>> _use = [];
    private readonly Dictionary<string, long> _peaks = new(StringComparer.Ordinal);

    public bool Active => gpus.Simulated;

    public ValueTask ReportAsync(string taskId, int device, long bytes, CancellationToken cancellationToken)
    {
        Report(taskId, device, bytes);
        return ValueTask.CompletedTask;
    }

    public void Report(string taskId, int device, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (!gpus.Simulated)
        {
            return;
        }

        var capacity = CapacityOf(device);
        lock (_gate)
        {
            if (!_use.TryGetValue(device, out var tasks))
            {
                _use[device] = tasks = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            var others = tasks.Where(t => t.Key != taskId).Sum(t => t.Value);
            if (others + bytes > capacity)
            {
                // The task's own peak still records what it tried to use: the profile a retry starts from.
                _peaks[taskId] = Math.Max(_peaks.GetValueOrDefault(taskId), bytes);
                throw new GpuOutOfMemoryException(
                    $"Simulated GPU {device} is out of memory: this task asked for {Gb(bytes)} with {Gb(others)} of {Gb(capacity)} in use by {tasks.Count(t => t.Key != taskId)} other task(s).")
                {
                    Device = device,
                    RequestedBytes = bytes,
                };
            }

            tasks[taskId] = bytes;
            _peaks[taskId] = Math.Max(_peaks.GetValueOrDefault(taskId), bytes);
        }
    }

    /// <summary>The run of <paramref name="taskId"/> ended: its use is freed; returns its peak (0 when it reported none).</summary>
    public long End(string taskId)
    {
        lock (_gate)
        {
            foreach (var tasks in _use.Values)
            {
                tasks.Remove(taskId);
            }

            _peaks.Remove(taskId, out var peak);
            return peak;
        }
    }

    /// <summary>What the tasks on <paramref name="device"/> report using now; null when none reported anything there.</summary>
    public long? Used(int device)
    {
        lock (_gate)
        {
            return _use.TryGetValue(device, out var tasks) && tasks.Count > 0 ? tasks.Values.Sum() : null;
        }
    }

    private long CapacityOf(int device)
    {
        var found = gpus.Devices.FirstOrDefault(d => d.Index == device);
        return found?.MemoryBytes
            ?? throw new ArgumentOutOfRangeException(nameof(device), device, $"GPU {device} is not a device of this node (it has {string.Join(", ", gpus.Devices.Select(d => d.Index))}).");
    }

    private static string Gb(long bytes) => $"{bytes / 1e9:0.##} GB";
}
