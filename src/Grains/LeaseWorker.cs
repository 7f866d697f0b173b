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
    private readonly Channel<(TaskSpec Spec, TaskCompletionSource<Envelope?> Reply)> _queue =
        Channel.CreateUnbounded<(TaskSpec, TaskCompletionSource<Envelope?>)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly SiloRuntime _silo;

    public LeaseWorker(string leaseId, string jobId, SiloRuntime silo)
    {
        LeaseId = leaseId;
        JobId = jobId;
        _silo = silo;
        _ = RunAsync();
    }

    public string LeaseId { get; }

    public string JobId { get; }

    public ValueTask<Envelope?> Enqueue(TaskSpec spec)
    {
        var reply = new TaskCompletionSource<Envelope?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((spec, reply)))
        {
            reply.SetResult(new Envelope { TaskReply = _silo.Executor.Failed(new InvalidOperationException($"lease {LeaseId} was already released; the owner must request a new lease."), spec) });
        }

        return new ValueTask<Envelope?>(reply.Task);
    }

    /// <summary>No more tasks will come: finish the queued ones, then return the lease.</summary>
    public void Release() => _queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        await foreach (var (spec, reply) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var result = await _silo.Executor.RunTaskAsync(spec, _silo.Stopping).ConfigureAwait(false);
            reply.TrySetResult(new Envelope { TaskReply = result });
        }

        _silo.LeaseFinished(this);
    }
}
