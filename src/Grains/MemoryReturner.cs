namespace Granary.Grains;

/// <summary>
/// Gives memory back to the OS after the store frees large values. The GC alone keeps a freed large
/// object's pages committed until memory pressure or a full collection: six freed 1 GiB objects once left
/// 9.6 GiB resident on two idle workers. Once frees of at least <see cref="Threshold"/> bytes have settled
/// (a tick with no new frees), one aggressive full collection returns the pages. At most one per tick,
/// and none while nothing large was freed, so small objects cost nothing. Thread-safe.
/// </summary>
internal sealed class MemoryReturner : IDisposable
{
    public const long Threshold = 64L << 20;

    private readonly Func<long> _freedBytes;
    private readonly Timer _timer;
    private long _returnedUpTo;
    private long _seenAtLastTick;
    private int _collections;

    public MemoryReturner(Func<long> freedBytes, TimeSpan tick)
    {
        _freedBytes = freedBytes;
        _returnedUpTo = _seenAtLastTick = freedBytes();
        _timer = new Timer(_ => Tick(), null, tick, tick);
    }

    /// <summary>Aggressive collections run so far.</summary>
    public int Collections => Volatile.Read(ref _collections);

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        var freed = _freedBytes();
        var settled = freed == _seenAtLastTick;
        _seenAtLastTick = freed;
        if (!settled || freed - _returnedUpTo < Threshold)
        {
            return;
        }

        _returnedUpTo = freed;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref _collections);
    }
}
