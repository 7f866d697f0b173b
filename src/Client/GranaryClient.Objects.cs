using System.Buffers;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    private int _putRoundRobin;

    /// <summary>
    /// Stores a value in the cluster and returns a ref to it. Small values stay with the client and travel
    /// inline; large ones are uploaded once to a worker silo's store, from where tasks pull them directly.
    /// The value may hold other refs (a list of refs, a record with a ref field): the new ref keeps them alive.
    /// Refs in it that are not finished yet are filled in when they finish; until then the new ref is not
    /// ready either, so whoever reads it can always get the inner values.
    /// </summary>
    public ObjectRef<T> Put<T>(T value)
    {
        ThrowIfDisposed();
        if (_taskObjects is not null)
        {
            // Inside the cluster a put goes into this node's store, owned here until a task returns it (TaskContext.Put).
            return new ObjectRef<T>(_taskObjects.Put(value, typeof(T)));
        }

        var entry = new ObjectEntry(NewId("o-"), _objects);
        if (value is not null && RawArrayCodec.IsRaw(value.GetType()))
        {
            // A raw array (it cannot hold refs) is copied once here, so the caller may change it as soon as Put
            // returns. One headed for a silo is copied into pooled memory, which the upload gives back: the copy
            // then runs at memcpy speed instead of paying a page fault per 4 KiB of fresh memory.
            var bytes = _objects.Serializer.SerializeBytes(value, typeof(T), ArrayPool<byte>.Shared, rentAboveBytes: _options.InlineThresholdBytes);
            if (bytes.Length <= _options.InlineThresholdBytes)
            {
                entry.TrySetValue(bytes.ToValue());
            }
            else
            {
                _ = UploadAsync(entry, bytes);
            }

            return new ObjectRef<T>(entry);
        }

        var data = _objects.Serializer.Serialize(value, typeof(T), out var contained);
        entry.Contained = contained?.All;
        if (contained?.Pending is { } pending)
        {
            _ = StoreWhenFinishedAsync(entry, data, pending);
        }
        else
        {
            Store(entry, data);
        }

        return new ObjectRef<T>(entry);
    }

    /// <summary>A ref, owned by this client, to a value already stored at <paramref name="location"/> (tests and tools).</summary>
    internal ObjectRef<T> RefTo<T>(ObjectLocation location)
    {
        var entry = new ObjectEntry(location.ObjectId, _objects);
        entry.TrySetLocation(location);
        return new ObjectRef<T>(entry);
    }

    /// <summary>Waits for and returns the ref's value; rethrows the remote failure if it failed.</summary>
    public ValueTask<T> GetAsync<T>(ObjectRef<T> reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.GetAsync(cancellationToken);
    }

    /// <summary>Fetches the ref's value, waiting at most <paramref name="timeout"/>; throws <see cref="GetTimeoutException"/> when it runs out.</summary>
    public ValueTask<T> GetAsync<T>(ObjectRef<T> reference, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.GetAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// Waits for every ref, at most <paramref name="timeout"/> for all of them together (Ray's
    /// <c>ray.get(refs, timeout=...)</c>), and returns the values in order; throws <see cref="GetTimeoutException"/>
    /// naming the first ref not ready in time, or the first failure (in input order).
    /// </summary>
    public async Task<T[]> GetAllAsync<T>(IEnumerable<ObjectRef<T>> references, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(references);
        using var expiry = Deadline.Start(timeout, cancellationToken);
        var list = references as IReadOnlyList<ObjectRef<T>> ?? references.ToList();
        var values = new T[list.Count];
        for (var i = 0; i < values.Length; i++)
        {
            try
            {
                values[i] = await list[i].GetAsync(expiry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new GetTimeoutException(list[i].Id, timeout);
            }
        }

        return values;
    }

    /// <summary>Waits for every ref and returns the values in order; throws the first failure (in input order).</summary>
    public async Task<T[]> GetAllAsync<T>(IEnumerable<ObjectRef<T>> references, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(references);
        var list = references as IReadOnlyList<ObjectRef<T>> ?? references.ToList();
        var values = new T[list.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = await list[i].GetAsync(cancellationToken).ConfigureAwait(false);
        }

        return values;
    }

    /// <summary>
    /// Ray's wait: returns once <paramref name="numReturns"/> refs are ready (finished or failed) or the timeout
    /// passes. Ready holds at most numReturns refs, notReady the rest; both keep input order. With
    /// <paramref name="fetchLocal"/> (the default, as in Ray) a value stored on a node counts as ready only once
    /// a copy of it is here, so getting it right after moves no bytes; false counts it ready as soon as it
    /// exists. An empty list returns two empty lists.
    /// </summary>
    public async Task<(IReadOnlyList<TRef> Ready, IReadOnlyList<TRef> NotReady)> WaitAsync<TRef>(
        IEnumerable<TRef> references, int numReturns = 1, TimeSpan? timeout = null, bool fetchLocal = true, CancellationToken cancellationToken = default)
        where TRef : ObjectRef
    {
        ArgumentNullException.ThrowIfNull(references);
        var list = references.ToList();
        if (list.Count == 0)
        {
            return ([], []);
        }

        if (list.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count() != list.Count)
        {
            throw new ArgumentException("WaitAsync needs distinct refs; the list holds the same ref twice.", nameof(references));
        }

        if (numReturns < 0 || numReturns > list.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(numReturns), numReturns, $"numReturns must be between 0 and the number of refs ({list.Count}).");
        }

        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "timeout must be zero or more, or null to wait without limit.");
        }

        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
        {
            expiry.CancelAfter(limit);
        }

        bool Ready(ObjectRef r) => fetchLocal ? r.Entry.IsLocal : r.Entry.IsCompleted;
        var pending = list.Where(r => !Ready(r)).Select(r => fetchLocal ? r.Entry.ReadyHereAsync(expiry.Token) : r.Entry.Completion).ToList();
        while (list.Count(Ready) < numReturns && pending.Count > 0)
        {
            try
            {
                var done = await Task.WhenAny(pending).WaitAsync(expiry.Token).ConfigureAwait(false);
                pending.Remove(done);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        var ready = new List<TRef>();
        var notReady = new List<TRef>();
        foreach (var reference in list)
        {
            (Ready(reference) && ready.Count < numReturns ? ready : notReady).Add(reference);
        }

        return (ready, notReady);
    }

    private void Store(ObjectEntry entry, Value data)
    {
        if (data.Data.Length <= _options.InlineThresholdBytes)
        {
            entry.TrySetValue(data);
        }
        else
        {
            _ = UploadAsync(entry, ValueBytes.From(data));
        }
    }

    /// <summary>Waits for the refs the value holds that were still running, writes their results in, then stores it.</summary>
    private async Task StoreWhenFinishedAsync(ObjectEntry entry, Value data, List<ObjectEntry> pending)
    {
        foreach (var inner in pending)
        {
            await inner.Completion.ConfigureAwait(false);
        }

        try
        {
            Store(entry, ContainedRefs.FillPending(data, pending));
        }
        catch (Exception ex)
        {
            // Never leave the ref pending forever: whoever awaits it gets the reason.
            var error = new ValueSerializationException(typeof(object), $"Writing the results of the refs inside object {entry.Id} failed: {ex.Message}", ex);
            entry.TrySetError(error, ErrorConverter.FromException(error, string.Empty, "Put"));
        }
    }

    /// <summary>Streams a large value to a worker silo's store in chunks; the ref fails if it cannot be stored there.</summary>
    private async Task UploadAsync(ObjectEntry entry, ValueBytes data)
    {
        try
        {
            var view = await RecentViewAsync(_disposing.Token).ConfigureAwait(false);
            var nodes = view.Nodes.Where(n => n.Alive && !n.IsHead && !_nodes.Get(n.NodeId).Died.IsCancellationRequested).ToList();
            if (nodes.Count == 0)
            {
                nodes = [.. view.Nodes.Where(n => n.Alive && !_nodes.Get(n.NodeId).Died.IsCancellationRequested)];
            }

            if (nodes.Count == 0)
            {
                // Every node of the cached view died: the head knows who is alive now.
                view = await RefreshViewAsync(_disposing.Token).ConfigureAwait(false);
                nodes = [.. view.Nodes.Where(n => n.Alive)];
                if (nodes.Count == 0)
                {
                    throw new GranaryException("No node is alive to store the object.");
                }
            }

            var node = nodes[(int)((uint)Interlocked.Increment(ref _putRoundRobin) % (uint)nodes.Count)];
            var channel = _nodes.Get(node.NodeId, node.Address);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token, channel.Died);
            await ObjectTransfer.PutAsync(channel.Grain, entry.Id, JobId, data, _options.ObjectChunkBytes, linked.Token).ConfigureAwait(false);

            // Each chunk was copied into its own call's array, so nothing reads the pooled copy any more.
            data.ReturnRented();
            entry.TrySetLocation(new ObjectLocation { ObjectId = entry.Id, NodeId = node.NodeId, Address = node.Address, Size = data.Length });
        }
        catch (ObjectStoreFullException ex)
        {
            entry.TrySetError(ex, Runtime.Serialization.ErrorConverter.FromException(ex, string.Empty, "Put"));
        }
        catch (Exception ex)
        {
            var error = new ObjectLostException(entry.Id, $"Uploading object {entry.Id} ({data.Length} bytes) failed: {ex.Message}", ex);
            entry.TrySetError(error, Runtime.Serialization.ErrorConverter.FromException(error, string.Empty, "Put"));
        }
    }
}
