using System.Threading.Channels;
using Granary.Runtime.Telemetry;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// The task grain for one lease: runs the tasks its owner pushes, one at a time in push order, on the
/// resources the head reserved for the lease. When the owner releases it, the queue drains and the lease
/// goes back to the head. Thread-safe.
/// </summary>
internal sealed class LeaseWorker
{
    private readonly Channel<(TaskSpec Spec, TaskCompletionSource<TaskReply> Reply)> _queue =
        Channel.CreateUnbounded<(TaskSpec, TaskCompletionSource<TaskReply>)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly SiloRuntime _silo;

    // Guards _current and _stopped: a stop must see the task that is running, or the task its stop.
    private readonly object _gate = new();
    private TaskSpec? _current;
    private ErrorInfo? _stopped;
    private int _queued;
    private int _received;
    private int _expected = -1;

    public LeaseWorker(string leaseId, string jobId, IReadOnlyList<int> gpuIds, SiloRuntime silo)
    {
        LeaseId = leaseId;
        JobId = jobId;
        GpuIds = [.. gpuIds];
        _silo = silo;
        _ = RunAsync();
    }

    /// <summary>The GPU devices the head assigned to this lease; every task on it sees them.</summary>
    public int[] GpuIds { get; }

    public bool Running { get; private set; }

    /// <summary>The lease's GPU memory grant (from its push), when it packs by memory: runs are measured and reported.</summary>
    public GpuMemoryGrant? GpuMemory { get; set; }

    public int Queued => Volatile.Read(ref _queued);

    public string LeaseId { get; }

    public string JobId { get; }

    public Task<TaskReply> Enqueue(TaskSpec spec)
    {
        // Completed on the thread that ran the call: Orleans only queues the reply from there.
        var reply = new TaskCompletionSource<TaskReply>();
        Interlocked.Increment(ref _queued);
        if (_queue.Writer.TryWrite((spec, reply)))
        {
            CompleteIfAllArrived(Interlocked.Increment(ref _received));
        }
        else
        {
            Interlocked.Decrement(ref _queued);
            var stopped = Volatile.Read(ref _stopped);
            // A stopping (or killed) silo closes its leases while pushes may still arrive: that is the node
            // going away, which the owner retries elsewhere, not a mistake of the owner's.
            reply.SetResult(stopped is not null ? Stopped(spec, stopped)
                : _silo.Stopping.IsCancellationRequested
                ? _silo.Executor.Failed(new NodeDiedException(_silo.NodeId, $"Node {_silo.NodeId} is stopping; {TaskExecutor.TaskName(spec)} did not run."), spec)
                : _silo.Executor.Failed(new InvalidOperationException($"lease {LeaseId} was already released; the owner must request a new lease."), spec));
        }

        return reply.Task;
    }

    /// <summary>No more tasks will come: finish the queued ones, then return the lease.</summary>
    public void Release() => _queue.Writer.TryComplete();

    /// <summary>The owner released the lease after <paramref name="pushed"/> tasks: close once they are all here.</summary>
    public void Release(int pushed)
    {
        Volatile.Write(ref _expected, pushed);
        CompleteIfAllArrived(Volatile.Read(ref _received));
    }

    /// <summary>
    /// The head stopped the lease (its placement group was removed): the running task is cancelled (an
    /// isolated one's worker killed, as Ray kills a removed group's workers), queued and later tasks fail
    /// with <paramref name="error"/>, and the lease goes back once the running task has stopped.
    /// </summary>
    public void Stop(ErrorInfo error)
    {
        TaskSpec? running;
        lock (_gate)
        {
            _stopped ??= error;
            running = _current;
        }

        _queue.Writer.TryComplete();
        if (running is not null)
        {
            _silo.Running.Cancel(running.TaskId, force: running.ProcessIsolation, recursive: true);
            _silo.Clients.CancelChildren(running.TaskId, force: false);
        }
    }

    private TaskReply Stopped(TaskSpec spec, ErrorInfo error) => StoppedReply(spec, error, _silo.NodeId);

    /// <summary>The reply of a task on a stopped lease: the stop's error, naming the task.</summary>
    public static TaskReply StoppedReply(TaskSpec spec, ErrorInfo error, string nodeId)
    {
        var stopped = error.Clone();
        stopped.TaskName = TaskExecutor.TaskName(spec);
        return new TaskReply { NodeId = nodeId, Error = stopped };
    }

    private void CompleteIfAllArrived(int received)
    {
        var expected = Volatile.Read(ref _expected);
        if (expected >= 0 && received >= expected)
        {
            _queue.Writer.TryComplete();
        }
    }

    private async Task RunAsync()
    {
        await foreach (var (spec, reply) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _queued);
            ErrorInfo? stopped;
            lock (_gate)
            {
                stopped = _stopped;
                _current = stopped is null ? spec : null;
            }

            if (stopped is not null)
            {
                reply.TrySetResult(Stopped(spec, stopped));
                continue;
            }

            Running = true;
            if (spec.Streaming)
            {
                _silo.Streams.Start(spec);
            }

            TaskReply result;
            var span = GranaryTracing.StartRun(spec, _silo.NodeId);
            using (var running = _silo.Running.Start(spec.TaskId, _silo.Stopping))
            {
                // A task cancelled while it was queued here never starts.
                var handle = running;
                Func<TaskSpec, Task<TaskReply>> run = one => one.ProcessIsolation
                    ? _silo.Workers.RunAsync(one, GpuIds, handle, _silo.Stopping)
                    : _silo.Executor.RunTaskAsync(one, GpuIds, handle.Token);
                if (running.Cancelled)
                {
                    result = RunningTask.CancelledReply(spec, _silo.NodeId);
                }
                else if (GpuMemory is { } grant)
                {
                    result = await Gpus.GpuRuns.RunAsync(_silo, LeaseId, grant, spec, GpuIds, async one => running.Outcome(await run(one).ConfigureAwait(false), one, _silo.NodeId)).ConfigureAwait(false);
                }
                else
                {
                    result = await run(spec).ConfigureAwait(false);
                    if (GpuIds.Length > 0)
                    {
                        // What the task reported using of a simulated GPU goes with its run.
                        _silo.SimulatedGpus.End(spec.TaskId);
                    }
                }

                result = running.Outcome(result, spec, _silo.NodeId);
            }

            (result.Error is null ? GranaryMeter.TasksFinished : GranaryMeter.TasksFailed).Add(1, new KeyValuePair<string, object?>(GranaryMeter.NodeTag, _silo.NodeId));
            if (span is not null)
            {
                GranaryTracing.End(span, result.Error);
            }

            if (spec.Streaming)
            {
                _silo.Streams.End(spec.TaskId);
            }

            lock (_gate)
            {
                _current = null;
                stopped = _stopped;
            }

            Running = false;
            reply.TrySetResult(stopped is not null && result.ResultCase == TaskReply.ResultOneofCase.Error ? Stopped(spec, stopped) : result);
        }

        _silo.LeaseFinished(this);
    }
}
