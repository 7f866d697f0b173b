using System.Collections.Concurrent;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Logs;

/// <summary>
/// One process's lines for the jobs' clients (Ray's log_to_driver): a bounded buffer that a timer empties
/// as one <see cref="LogBatch"/> per job, one send at a time so a process's lines keep their order. A task
/// that writes into a full buffer is never blocked: its line is dropped and counted, and the job's next
/// batch says how many went. Thread-safe.
/// </summary>
internal sealed class LogShipper : IAsyncDisposable
{
    // Most lines per batch: a noisy task's burst goes out as several calls instead of one huge message.
    private const int MaxBatchLines = 1000;

    private readonly ConcurrentQueue<(string Job, LogLine Line)> _queue = new();
    private readonly ConcurrentDictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private readonly Func<LogBatch, CancellationToken, Task> _send;
    private readonly Timer _timer;
    private readonly TimeSpan _interval;
    private readonly int _capacity;
    private int _count;
    private int _armed;
    private long _droppedTotal;
    private long _shipped;

    /// <param name="send">Delivers one batch (to the head, which passes it to the job's client).</param>
    public LogShipper(string nodeId, Func<LogBatch, CancellationToken, Task> send, int capacity = GranaryDefaults.LogBufferLines, TimeSpan? interval = null)
    {
        NodeId = nodeId;
        _send = send;
        _capacity = capacity;
        _interval = interval ?? GranaryDefaults.LogFlushInterval;
        using (ExecutionContext.SuppressFlow())
        {
            // The first task that writes must not leave its context (and with it its job's code) on the timer.
            _timer = new Timer(static state => _ = ((LogShipper)state!).FlushAndRearmAsync(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    public string NodeId { get; }

    /// <summary>Lines dropped because the buffer was full or a batch could not be delivered.</summary>
    public long Dropped => Interlocked.Read(ref _droppedTotal);

    /// <summary>Lines handed to the head so far.</summary>
    public long Shipped => Interlocked.Read(ref _shipped);

    public void Add(string jobId, LogLine line)
    {
        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            Drop(jobId, 1);
        }
        else
        {
            _queue.Enqueue((jobId, line));
        }

        Arm();
    }

    /// <summary>Sends everything buffered now (a stopping process, tests).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (!_queue.IsEmpty || !_dropped.IsEmpty)
        {
            var batches = new Dictionary<string, LogBatch>(StringComparer.Ordinal);
            var taken = 0;
            while (taken < MaxBatchLines && _queue.TryDequeue(out var item))
            {
                taken++;
                Interlocked.Decrement(ref _count);
                Batch(batches, item.Job).Lines.Add(item.Line);
            }

            foreach (var job in _dropped.Keys)
            {
                if (_dropped.TryRemove(job, out var dropped))
                {
                    Batch(batches, job).Dropped = dropped;
                }
            }

            foreach (var batch in batches.Values)
            {
                try
                {
                    await _send(batch, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _shipped, batch.Lines.Count);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // The head is away or the client gone: the lines are lost, and the next batch says so.
                    Drop(batch.JobId, batch.Lines.Count + batch.Dropped);
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is left is lost.
        }
    }

    private LogBatch Batch(Dictionary<string, LogBatch> batches, string jobId)
    {
        if (!batches.TryGetValue(jobId, out var batch))
        {
            batches[jobId] = batch = new LogBatch { JobId = jobId, NodeId = NodeId };
        }

        return batch;
    }

    private void Drop(string jobId, long lines)
    {
        _dropped.AddOrUpdate(jobId, lines, (_, n) => n + lines);
        Interlocked.Add(ref _droppedTotal, lines);
    }

    private void Arm()
    {
        if (Interlocked.Exchange(ref _armed, 1) == 0)
        {
            try
            {
                _timer.Change(_interval, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The process is stopping.
            }
        }
    }

    private async Task FlushAndRearmAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _armed, 0);
            if (!_queue.IsEmpty || !_dropped.IsEmpty)
            {
                Arm();
            }
        }
    }
}
