using Granary.Runtime.Gpus;

namespace Granary.Grains.Gpus;

/// <summary>
/// Measures one run's peak GPU memory on its device. On a simulated device that is the peak the task
/// reported (exact, per task). On a real one it is the rise over the run, sampled through NVML every 50 ms,
/// of what this silo's processes (the silo, its worker processes, and the processes either started, such
/// as `granary run`'s shell commands: <see cref="ProcessAncestry"/>) use on the device, where NVML lists
/// processes (nvmlDeviceGetComputeRunningProcesses), else of the device's whole used memory. Either is
/// exact when the task has the device to itself (a profiling run), which is when the head trusts it as a
/// profile; beside other tasks it is an upper bound. Dispose ends the sampling.
/// </summary>
internal sealed class GpuUseMeter : IDisposable
{
    private static readonly TimeSpan _period = TimeSpan.FromMilliseconds(50);

    private readonly SimulatedGpuMemory? _simulated;
    private readonly string _taskId;
    private readonly SharedNvml? _nvml;
    private readonly Func<int, bool>? _ours;
    private readonly bool _perProcess;
    private readonly int _position;
    private readonly long _baseline;
    private readonly Timer? _timer;
    private long _peakUsed;
    private bool _ended;
    private long _result;

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
        // Asked only for the processes NVML lists on the device; the workers are read at each sample, as they come and go.
        _ours = pid => ProcessAncestry.IsOrDescendsFrom(pid, new HashSet<int>(silo.Workers.Pids) { Environment.ProcessId });

        // One way for the whole run, so the baseline and the samples measure the same thing.
        _perProcess = _nvml is not null && _nvml.TryProcessUse(_position, _ours, out _);
        if (_nvml is not null && TryUsed(out var used))
        {
            _baseline = _peakUsed = used;
            _timer = new Timer(_ => Sample(), null, _period, _period);
        }
    }

    /// <summary>The run ended: its peak use in bytes (0 when nothing could be measured). Later calls (Dispose) give the same figure.</summary>
    public long End()
    {
        lock (this)
        {
            if (_ended)
            {
                return _result;
            }
        }

        _timer?.Dispose();
        var peak = _simulated?.End(_taskId);
        if (peak is null)
        {
            Sample();
        }

        lock (this)
        {
            _ended = true;
            _result = peak ?? Math.Max(0, _peakUsed - _baseline);
            return _result;
        }
    }

    public void Dispose() => End();

    private bool TryUsed(out long used)
    {
        used = 0;
        return _nvml is not null && (_perProcess ? _nvml.TryProcessUse(_position, _ours!, out used) : _nvml.TryUsed(_position, out used));
    }

    private void Sample()
    {
        if (!TryUsed(out var used))
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
