using System.Runtime.CompilerServices;
using Granary.Client;
using Granary.Client.Submission;
using Granary.Grains;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// Ray's streaming generator (<c>num_returns="streaming"</c>): the refs of a streaming task's items, each
/// as soon as the task has produced it, while the task still runs. Read it once, with <c>await foreach</c>;
/// after the last item the enumeration ends, or throws the task's failure. <see cref="Completion"/> is the
/// task's own ref: the number of items. Items a reader never reads stay on their node until the job ends.
/// </summary>
public sealed class ObjectRefStream<T> : IAsyncEnumerable<ObjectRef<T>>
{
    // How long one read waits on the node for the next item before asking again.
    private const int ReadWaitMillis = 10_000;

    private readonly ObjectEntry _task;
    private readonly StreamLocation _location;
    private readonly IObjectOwner _owner;
    private int _read;

    internal ObjectRefStream(ObjectEntry task, StreamLocation location, IObjectOwner owner)
    {
        _task = task;
        _location = location;
        _owner = owner;
        Completion = new ObjectRef<int>(task);
    }

    /// <summary>The task itself: ready when it has ended, with the number of items it produced.</summary>
    public ObjectRef<int> Completion { get; }

    public IAsyncEnumerator<ObjectRef<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _read, 1) != 0)
        {
            throw new InvalidOperationException("A stream of refs can be read once; keep the refs it gave if you need them again.");
        }

        return ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<ObjectRef<T>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = 0;
        while (true)
        {
            var (node, pushes, nextPush) = _location.Current;
            var items = node is null ? null : await TryReadAsync(node, next, cancellationToken).ConfigureAwait(false);
            if (items is null)
            {
                // Not pushed yet, or its node failed: wait for a push (the first, or a retry) or for the end.
                await Task.WhenAny(nextPush, _task.Completion).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (_task.IsCompleted && _location.Current.Pushes == pushes)
                {
                    await FinishAsync(next, lost: node is not null, cancellationToken).ConfigureAwait(false);
                    yield break;
                }

                continue;
            }

            foreach (var item in items.Items)
            {
                var entry = new ObjectEntry(ReturnParts.StreamItemId(_task.Id, next), _owner);
                entry.TryComplete(item);
                next++;
                yield return new ObjectRef<T>(entry);
            }

            if (items.Ended && next >= items.Produced)
            {
                // This run is over: the task's reply says whether it returned, failed, or runs again.
                await Task.WhenAny(nextPush, _task.Completion).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (_task.IsCompleted && _location.Current.Pushes == pushes && await FinishAsync(next, lost: false, cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
    }

    private async Task<StreamItems?> TryReadAsync(NodeChannel node, int from, CancellationToken cancellationToken)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, node.Died);
        try
        {
            return await node.Grain.ReadStream(new ReadStream { TaskId = _task.Id, FromIndex = from, WaitMillis = ReadWaitMillis }, call.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// The task has ended: throws its failure; true when every item it produced has been read. Items the node
    /// could no longer serve (it died after the task returned) are lost, as any object held only there.
    /// </summary>
    private async Task<bool> FinishAsync(int read, bool lost, CancellationToken cancellationToken)
    {
        var produced = await _task.GetAsync<int>(cancellationToken).ConfigureAwait(false);
        if (read >= produced)
        {
            return true;
        }

        if (lost)
        {
            throw new ObjectLostException(ReturnParts.StreamItemId(_task.Id, read), $"Item {read} of streaming task {_task.Id} was lost with its node before it was read.");
        }

        return false;
    }
}
