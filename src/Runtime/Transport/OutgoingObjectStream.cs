using System.Runtime.ExceptionServices;

namespace Granary.Runtime.Transport;

/// <summary>
/// A value this side is sending in chunks: how much the receiver has acknowledged, which bounds how far the
/// sender may run ahead (its window). Acks and failures come from the read loop; one sender waits. Thread-safe.
/// </summary>
internal sealed class OutgoingObjectStream
{
    private readonly object _gate = new();
    private long _acknowledged;
    private Exception? _error;
    private TaskCompletionSource? _waiter;

    public void OnAck(long received)
    {
        lock (_gate)
        {
            if (received > _acknowledged)
            {
                _acknowledged = received;
                WakeLocked();
            }
        }
    }

    public void Fail(Exception error)
    {
        lock (_gate)
        {
            _error ??= error;
            WakeLocked();
        }
    }

    /// <summary>Returns once the receiver has acknowledged at least <paramref name="bytes"/>; throws if the stream failed.</summary>
    public async ValueTask WaitForAckAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_error is not null)
                {
                    ExceptionDispatchInfo.Throw(_error);
                }

                if (_acknowledged >= bytes)
                {
                    return;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void WakeLocked()
    {
        _waiter?.TrySetResult();
        _waiter = null;
    }
}
