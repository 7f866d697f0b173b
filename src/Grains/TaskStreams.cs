using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// The items of the streaming tasks (Ray's streaming generators) that run on this node, held until their
/// owner reads them. Items arrive in order; an item whose index the stream already has is a retried run
/// producing it again and is dropped, so a retry on this node continues the stream instead of repeating it.
/// A stream goes once its owner has read every item of an ended run, or when its job ends. Thread-safe.
/// </summary>
internal sealed class TaskStreams
{
    // Enough to keep a reader busy without one answer growing large; a reader asks again for the rest.
    private const int MaxItemsPerRead = 64;
    private const long MaxInlineBytesPerRead = 4L << 20;

    private readonly object _gate = new();
    private readonly Dictionary<string, Stream> _streams = new(StringComparer.Ordinal);

    // Signalled whenever any stream starts, for readers that ask before their task has reached this node.
    private TaskCompletionSource _started = NewSignal();

    /// <summary>A run of a streaming task starts here (its first, or a retry).</summary>
    public void Start(TaskSpec spec)
    {
        TaskCompletionSource started;
        lock (_gate)
        {
            if (!_streams.TryGetValue(spec.TaskId, out var stream))
            {
                _streams[spec.TaskId] = new Stream(spec.JobId);
            }
            else
            {
                stream.Ended = false;
                stream.Signal();
            }

            started = _started;
            _started = NewSignal();
        }

        started.TrySetResult();
    }

    public void Append(string taskId, int index, TaskReply item)
    {
        lock (_gate)
        {
            if (_streams.TryGetValue(taskId, out var stream) && index == stream.Items.Count)
            {
                stream.Items.Add(item);
                stream.Signal();
            }
        }
    }

    /// <summary>The run ended, whether it returned or failed; the owner learns which from the task's reply.</summary>
    public void End(string taskId)
    {
        lock (_gate)
        {
            if (_streams.TryGetValue(taskId, out var stream))
            {
                stream.Ended = true;
                stream.Signal();
            }
        }
    }

    public void JobEnded(string jobId)
    {
        lock (_gate)
        {
            foreach (var id in _streams.Where(s => s.Value.JobId == jobId).Select(s => s.Key).ToList())
            {
                _streams.Remove(id);
            }
        }
    }

    public async Task<StreamItems> ReadAsync(ReadStream request, CancellationToken cancellationToken)
    {
        if (request.FromIndex < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.FromIndex, "A stream is read from index 0 on.");
        }

        var deadline = Environment.TickCount64 + Math.Clamp(request.WaitMillis, 0, 60_000);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_streams.TryGetValue(request.TaskId, out var stream))
                {
                    if (stream.Items.Count > request.FromIndex || stream.Ended)
                    {
                        return Take(request.TaskId, stream, request.FromIndex);
                    }

                    changed = stream.Changed.Task;
                }
                else
                {
                    changed = _started.Task;
                }
            }

            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return new StreamItems();
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(left), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return new StreamItems();
            }
        }
    }

    private StreamItems Take(string taskId, Stream stream, int from)
    {
        var answer = new StreamItems { Ended = stream.Ended, Produced = stream.Items.Count };
        long inlineBytes = 0;
        for (; stream.Dropped < from && stream.Dropped < stream.Items.Count; stream.Dropped++)
        {
            // The owner asks from `from` on, so it holds everything before: the node need not keep it.
            stream.Items[stream.Dropped] = null;
        }

        for (var i = from; i < stream.Items.Count && answer.Items.Count < MaxItemsPerRead && inlineBytes <= MaxInlineBytesPerRead; i++)
        {
            var item = stream.Items[i]!;
            answer.Items.Add(item);
            inlineBytes += item.ResultCase == TaskReply.ResultOneofCase.Value ? item.Value.Data.Length : 0;
        }

        if (stream.Ended && from >= stream.Items.Count)
        {
            _streams.Remove(taskId);
        }

        return answer;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Stream(string jobId)
    {
        public string JobId { get; } = jobId;

        public List<TaskReply?> Items { get; } = [];

        /// <summary>Items below this index were read and let go, so a read drops only what it newly passed.</summary>
        public int Dropped { get; set; }

        public bool Ended { get; set; }

        public TaskCompletionSource Changed { get; private set; } = NewSignal();

        public void Signal()
        {
            var changed = Changed;
            Changed = NewSignal();
            changed.TrySetResult();
        }
    }
}
