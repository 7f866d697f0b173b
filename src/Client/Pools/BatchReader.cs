namespace Granary.Client.Pools;

/// <summary>
/// Cuts a source of rows into batches, reading it only when asked for the next batch: nothing of the source
/// runs before the first batch is asked for, and never a row past the batch being filled. Over a
/// synchronous or an asynchronous source. Not thread-safe (the map's loop is its only reader).
/// </summary>
internal sealed class BatchReader<TRow> : IAsyncDisposable
{
    // A large batchSize need not mean a large first array: the batch grows to it as rows come.
    private const int FirstCapacity = 4096;

    private readonly IEnumerable<TRow>? _rows;
    private readonly IAsyncEnumerable<TRow>? _asyncRows;
    private readonly int _batchSize;
    private IEnumerator<TRow>? _syncEnumerator;
    private IAsyncEnumerator<TRow>? _asyncEnumerator;
    private bool _done;

    public BatchReader(IEnumerable<TRow> rows, int batchSize) => (_rows, _batchSize) = (rows, batchSize);

    public BatchReader(IAsyncEnumerable<TRow> rows, int batchSize) => (_asyncRows, _batchSize) = (rows, batchSize);

    /// <summary>The next batch (the last may be short), or null once the source has ended.</summary>
    public async ValueTask<TRow[]?> NextAsync(CancellationToken cancellationToken)
    {
        if (_done)
        {
            return null;
        }

        var batch = new TRow[Math.Min(_batchSize, FirstCapacity)];
        var count = 0;
        while (count < _batchSize)
        {
            if (!await MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                _done = true;
                break;
            }

            if (count == batch.Length)
            {
                Array.Resize(ref batch, (int)Math.Min(_batchSize, 2L * batch.Length));
            }

            batch[count++] = _syncEnumerator is not null ? _syncEnumerator.Current : _asyncEnumerator!.Current;
        }

        if (count == 0)
        {
            return null;
        }

        if (count < batch.Length)
        {
            Array.Resize(ref batch, count);
        }

        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        _done = true;
        _syncEnumerator?.Dispose();
        if (_asyncEnumerator is not null)
        {
            await _asyncEnumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_rows is not null)
        {
            _syncEnumerator ??= _rows.GetEnumerator();
            return new ValueTask<bool>(_syncEnumerator.MoveNext());
        }

        // The token of the first read is the map's: cancelling the map cancels an asynchronous source too.
        _asyncEnumerator ??= _asyncRows!.GetAsyncEnumerator(cancellationToken);
        return _asyncEnumerator.MoveNextAsync();
    }
}
