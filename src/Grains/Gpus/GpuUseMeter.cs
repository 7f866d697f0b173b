using Granary.Runtime.Gpus;

namespace Granary.Grains.Gpus;

/// <summary>
/// Measures one run's peak GPU memory on its device. On a simulated device that is the peak the task
/// reported (exact, per task). On a real one it is the rise of the device's used memory over the run,
/// sampled through NVML every 50 ms: exact when the task has the device to itself (a profiling run), which
/// is when the head trusts it; beside other tasks it is only an upper bound. Dispose ends the sampling.
/// </summary>
internal sealed class GpuUseMeter : IDisposable
{
    private static readonly TimeSpan _period = TimeSpan.FromMilliseconds(50);

    private readonly SimulatedGpuMemory? _simulated;
    private readonly string _taskId;
    private readonly SharedNvml? _nvml;
    private readonly int _position;
    private readonly long _baseline;
    private readonly Timer? _timer;
    private long _peakUsed;
    private bool _ended;

    public GpuUseMeter(SiloRuntime silo, string taskId, int device)
    {
        _taskId = taskId;
        if (silo.Gpus.Simulated)
        {
            _simulated = silo.SimulatedGpus;
            return;
        }

        _position = silo.Gpus.Devices.ToList().FindIndex(d => d.Index == device);
        _nvml = _position >= 0 ? silo.Nvml : null;
        if (_nvml is not null && _nvml.TryUsed(_position, out var used))
        {
            _baseline = _peakUsed = used;
            _timer = new Timer(_ => Sample(), null, _period, _period);
        }
    }

    /// <summary>The run ended: its peak use in bytes (0 when nothing could be measured).</summary>
    public long End()
    {
        _timer?.Dispose();
        if (_simulated is not null)
        {
            return _simulated.End(_taskId);
        }

        Sample();
        lock (this)
        {
            _ended = true;
            return Math.Max(0, _peakUsed - _baseline);
        }
    }

    public void Dispose() => End();

    private void Sample()
    {
        if (_nvml is null || !_nvml.TryUsed(_position, out var used))
        {
            return;
        }

        lock (this)
        {
            if (!_ended)
            {
                _peakUsed = Math.Max(_peakUsed, used);
            }
        }
    }
}
