using System.Runtime.ExceptionServices;

namespace Granary.Runtime.Transport;

/// <summary>
/// A value this side is sending in chunks: how many of its bytes the connection's write loop has written
/// into the socket pipe, which bounds how far the sender may run ahead of it (its window). The write loop
/// reports progress, the read loop or a close reports failure; one sender waits. Thread-safe.
/// </summary>
internal sealed class OutgoingObjectStream
{
    private readonly object _gate = new();
    private long _written;
    private Exception? _error;
    private TaskCompletionSource? _waiter;

    public void OnWritten(long bytes)
    {
        lock (_gate)
        {
            _written += bytes;
            WakeLocked();
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

    /// <summary>Returns once at least <paramref name="bytes"/> have been written; throws if the stream failed.</summary>
    public async ValueTask WaitForWrittenAsync(long bytes, CancellationToken cancellationToken)
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

                if (_written >= bytes)
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
