using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Submissions;

/// <summary>
/// One submitted job as the head keeps it: its record, its files until a node has unpacked them, and the
/// tail of its driver's output. Thread-safe (one lock).
/// <code>
/// PENDING --lease, StartDriver--> RUNNING --exit 0--> SUCCEEDED
///    |                               |----exit N, node died--> FAILED
///    |--infeasible, start failed-----+----job stop--> STOPPED
///    '--job stop--> STOPPED
/// </code>
/// </summary>
internal sealed class Submission
{
    private readonly object _gate = new();
    private readonly SubmissionInfo _info;
    private readonly Queue<string> _tail = new();
    private readonly int _keep;
    private long _total;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Submission(SubmissionInfo info, byte[] package, SubmitJob request, int keepLines)
    {
        _info = info;
        Package = package;
        Request = request;
        _keep = keepLines;
    }

    public string Id => _info.SubmissionId;

    public SubmitJob Request { get; }

    /// <summary>The zipped files; null once the driver started (the node has them then).</summary>
    public byte[]? Package { get; private set; }

    /// <summary>Cancelled by `job stop` while the submission waits for a lease.</summary>
    public CancellationTokenSource Pending { get; } = new();

    public string? LeaseId { get; set; }

    public bool StopRequested { get; private set; }

    public bool Ended
    {
        get
        {
            lock (_gate)
            {
                return IsEnded(_info.State);
            }
        }
    }

    public string NodeId
    {
        get
        {
            lock (_gate)
            {
                return _info.NodeId;
            }
        }
    }

    public static bool IsEnded(SubmissionState state) => state is SubmissionState.Succeeded or SubmissionState.Failed or SubmissionState.Stopped;

    public SubmissionInfo Snapshot()
    {
        lock (_gate)
        {
            return _info.Clone();
        }
    }

    public void DropPackage() => Package = null;

    /// <summary>Marks the stop; false when the submission had already ended.</summary>
    public bool RequestStop()
    {
        lock (_gate)
        {
            StopRequested = true;
            return !IsEnded(_info.State);
        }
    }

    public void Placed(string nodeId)
    {
        lock (_gate)
        {
            _info.NodeId = nodeId;
        }
    }

    /// <summary>PENDING to RUNNING; false when it ended meanwhile (a driver that exited at once, a stop).</summary>
    public bool Started()
    {
        lock (_gate)
        {
            if (_info.State != SubmissionState.Pending)
            {
                return false;
            }

            _info.State = SubmissionState.Running;
            _info.StartedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            SignalLocked();
            return true;
        }
    }

    /// <summary>Ends the submission once; later ends (a node death after the exit) change nothing and return false.</summary>
    public bool End(SubmissionState state, string message, int? exitCode)
    {
        lock (_gate)
        {
            if (IsEnded(_info.State))
            {
                return false;
            }

            if (_info.StartedUnixMs == 0 && exitCode is not null)
            {
                // It exited before the head heard that it started.
                _info.StartedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            }

            _info.State = state;
            _info.Message = message;
            _info.HasExitCode = exitCode is not null;
            _info.ExitCode = exitCode ?? 0;
            _info.EndedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Package = null;
            SignalLocked();
            return true;
        }
    }

    /// <summary>Keeps the driver's lines, the newest <c>keepLines</c> of them; earlier ones count as dropped.</summary>
    public void Append(IEnumerable<string> lines)
    {
        lock (_gate)
        {
            foreach (var line in lines)
            {
                _tail.Enqueue(line);
                _total++;
                if (_tail.Count > _keep)
                {
                    _tail.Dequeue();
                }
            }

            SignalLocked();
        }
    }

    /// <summary>Up to <paramref name="max"/> lines from index <paramref name="from"/> on, and the task that completes on the next change.</summary>
    public SubmissionLogs Read(long from, int max, out Task changed)
    {
        lock (_gate)
        {
            changed = _changed.Task;
            var first = _total - _tail.Count;
            var start = Math.Clamp(from, first, _total);
            var logs = new SubmissionLogs { Dropped = Math.Max(0, first - Math.Max(from, 0)), Info = _info.Clone() };
            logs.Lines.AddRange(_tail.Skip((int)(start - first)).Take(max));
            logs.NextIndex = start + logs.Lines.Count;
            return logs;
        }
    }

    private void SignalLocked()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
