using StackExchange.Redis;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// Keeps the failed connection attempt that says most about why Redis could not be used. An attempt the library
/// abandoned only to retry it (ConnectionDisposed) says less than one the server or the network failed, but it
/// still tells how far it got (a plain server answering a TLS client leaves only those). Handlers run on worker
/// threads, possibly out of order and after the connect call has already failed, hence the lock, the sequence
/// numbers and <see cref="SettleAsync"/>. Thread-safe.
/// </summary>
internal sealed class RedisAttemptLog
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _telling = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConnectionAttemptCompletedEventArgs? _mostTelling;

    public void Record(object? sender, ConnectionAttemptCompletedEventArgs attempt)
    {
        if (attempt.IsSuccess)
        {
            return;
        }

        lock (_lock)
        {
            if (_mostTelling is null || Rank(attempt) > Rank(_mostTelling)
                || (Rank(attempt) == Rank(_mostTelling) && attempt.SequenceNumber > _mostTelling.SequenceNumber))
            {
                _mostTelling = attempt;
            }
        }

        if (Rank(attempt) > 0)
        {
            _telling.TrySetResult();
        }
    }

    /// <summary>
    /// The most telling attempt once the connect call has failed, waiting up to <paramref name="grace"/> for a
    /// report still on its way. A silent server leaves no report at all, so this never waits longer.
    /// </summary>
    public async Task<ConnectionAttemptCompletedEventArgs?> SettleAsync(TimeSpan grace)
    {
        try
        {
            await _telling.Task.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing more telling came; what is there (maybe nothing) is the answer.
        }

        lock (_lock)
        {
            return _mostTelling;
        }
    }

    private static int Rank(ConnectionAttemptCompletedEventArgs attempt) =>
        attempt.FailureType == ConnectionFailureType.ConnectionDisposed ? 0 : 1;
}
