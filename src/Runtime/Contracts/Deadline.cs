namespace Granary;

/// <summary>The token source behind the timeouts of gets and waits: the caller's token, cancelled also when the time is up.</summary>
internal static class Deadline
{
    /// <summary>Checks <paramref name="timeout"/> (zero or more, or infinite) and starts it.</summary>
    public static CancellationTokenSource Start(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must be zero or more, or Timeout.InfiniteTimeSpan to wait without limit.");
        }

        var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            expiry.CancelAfter(timeout);
        }

        return expiry;
    }
}
