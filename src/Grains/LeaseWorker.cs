using System.Threading.Channels;
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
            // A stopping (or killed) silo closes its leases while pushes may still arrive: that is the node
            // going away, which the owner retries elsewhere, not a mistake of the owner's.
            reply.SetResult(_silo.Stopping.IsCancellationRequested
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
            Running = true;
            if (spec.Streaming)
            {
                _silo.Streams.Start(spec);
            }

            var result = spec.ProcessIsolation
                ? await _silo.Workers.RunAsync(spec, GpuIds, _silo.Stopping).ConfigureAwait(false)
                : await _silo.Executor.RunTaskAsync(spec, GpuIds, _silo.Stopping).ConfigureAwait(false);
            if (spec.Streaming)
            {
                _silo.Streams.End(spec.TaskId);
            }

            Running = false;
            reply.TrySetResult(result);
        }

        _silo.LeaseFinished(this);
    }
}
