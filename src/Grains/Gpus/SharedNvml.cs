using Granary.Runtime.Gpus;

namespace Granary.Grains.Gpus;

/// <summary>
/// One NVML session for the silo's GPU meters (<see cref="GpuUseMeter"/>), opened on first use, apart from
/// the metrics monitor's, whose sampler is not shared across threads. Thread-safe (one lock around NVML).
/// </summary>
internal sealed class SharedNvml(IReadOnlyList<int> deviceIndexes) : IDisposable
{
    private readonly object _gate = new();
    private NvmlSampler? _sampler;
    private bool _opened;

    /// <summary>The device's used memory now; false when NVML cannot say.</summary>
    public bool TryUsed(int position, out long usedBytes)
    {
        usedBytes = 0;
        lock (_gate)
        {
            if (!_opened)
            {
                _opened = true;
                _sampler = NvmlSampler.Open(deviceIndexes);
            }

            return _sampler is not null && _sampler.TrySample(position, out _, out usedBytes, out _);
        }
    }

    /// <summary>What the processes <paramref name="counts"/> picks (by pid) use on the device now; false when NVML cannot say per process.</summary>
    public bool TryProcessUse(int position, Func<int, bool> counts, out long usedBytes)
    {
        usedBytes = 0;
        lock (_gate)
        {
            if (!_opened)
            {
                _opened = true;
                _sampler = NvmlSampler.Open(deviceIndexes);
            }

            return _sampler is not null && _sampler.TryProcessUse(position, counts, out usedBytes);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _sampler?.Dispose();
            _sampler = null;
        }
    }
}
