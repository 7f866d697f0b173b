using System.Runtime.ExceptionServices;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// A process's record of one object: pending, then ready (inline value or a location) or failed.
/// It completes once; later completions are ignored. The owner's entry frees a stored value when collected;
/// a borrowed entry (a ref read out of a value that someone else owns) never does. Thread-safe.
/// </summary>
internal sealed class ObjectEntry
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completed;

    // A copy of a remotely stored value pulled here by a wait with fetchLocal; gets read it instead of the node.
    private Value? _local;
    private int _handedOver;

    /// <param name="id">The object's id, unique in the cluster.</param>
    /// <param name="owner">This process's access to objects: decoding, fetching, freeing.</param>
    /// <param name="ownerId">Who frees the object; this process's owner unless the entry is borrowed.</param>
    /// <param name="borrowed">
    /// The entry stands for an object someone else owns (a ref read out of a value): it never frees it.
    /// </param>
    public ObjectEntry(string id, IObjectOwner owner, string? ownerId = null, bool borrowed = false)
    {
        Id = id;
        Owner = owner;
        OwnerId = ownerId ?? owner.OwnerId;
        Borrowed = borrowed;

        // Only entries whose value lives in a silo's store need a finalizer (to free it there); most stay inline.
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The owner's last reference is gone (no ObjectRef, no pending task that borrows it as an argument, and
    /// no entry of an object whose value holds this ref still holds the entry): the stored copy can go.
    /// Reference counting by the garbage collector.
    /// </summary>
    ~ObjectEntry()
    {
        if (Location is { } location && Volatile.Read(ref _handedOver) == 0)
        {
            GC.RemoveMemoryPressure(PressureOf(location));
            Owner.Release(location);
        }
    }

    public string Id { get; }

    public IObjectOwner Owner { get; }

    /// <summary>The owner's identity as written into nested refs: a client's job id, or job@node for task puts.</summary>
    public string OwnerId { get; }

    /// <summary>True when another process owns the object; this entry only reads it and never frees it.</summary>
    public bool Borrowed { get; }

    /// <summary>
    /// The entries of the refs this object's value holds. Holding them here keeps them (and the objects they
    /// stand for) alive exactly as long as this entry: an outer object keeps its inner ones.
    /// </summary>
    public IReadOnlyList<ObjectEntry>? Contained { get; set; }

    /// <summary>
    /// For a task with several returns (Ray's num_returns), this entry stands for the task and these for its
    /// values: the task's reply completes each of them, and its failure fails all of them.
    /// </summary>
    public ObjectEntry[]? Parts
    {
        get => _extras?.Parts;
        init => (_extras ??= new Extras()).Parts = value;
    }

    /// <summary>
    /// The owner's record of the task that computes this entry (on a client, its pending task), so a cancel
    /// can find it; cleared when the entry completes. One field here costs less than a map of every task.
    /// </summary>
    public object? Producer { get; set; }

    // What only some entries need (several returns, lineage), kept apart so each entry stays small: a client
    // holding a million refs pays one field for these, not four.
    private Extras? _extras;

    /// <summary>
    /// Ray's lineage: computes this object again (runs its task again) when its only copy was lost with its
    /// node, then relocates this entry; false when the retry budget is spent. The owner sets it on task
    /// results stored on a node; puts have none, so a lost put fails with ObjectLost, as in Ray.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? Rebuild
    {
        get => _extras?.Rebuild;
        set => (_extras ??= new Extras()).Rebuild = value;
    }

    public Value? Inline { get; private set; }

    public ObjectLocation? Location { get; private set; }

    public Exception? Error { get; private set; }

    /// <summary>The failure in wire form, so a dependent task can carry it as its cause.</summary>
    public ErrorInfo? ErrorInfo { get; private set; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0 && _done.Task.IsCompleted;

    /// <summary>Completes when the entry is ready or failed; never faults.</summary>
    public Task Completion => _done.Task;

    // Each completion claims the entry first, then assigns, then releases waiters: no closure per call,
    // as these run once for every task and Put.
    public bool TrySetValue(Value value)
    {
        if (!TryClaim())
        {
            return false;
        }

        Inline = value;
        return Release();
    }

    public bool TrySetLocation(ObjectLocation location)
    {
        if (!TryClaim())
        {
            return false;
        }

        Location = location;
        if (!Borrowed)
        {
            // This small entry pins a large value in some silo's store, which the collector cannot see; telling
            // it makes dropped refs get collected (and their values freed) at the pace their real size calls
            // for, rather than only when the owner's own small allocations fill a generation.
            GC.AddMemoryPressure(PressureOf(location));
            GC.ReRegisterForFinalize(this);
        }

        return Release();
    }

    /// <summary>
    /// Another process has taken over freeing this object (a task returned a ref it put; its caller owns it
    /// now), so this entry must not free it when collected. Called before the reply that hands it over is sent.
    /// </summary>
    public void HandOver()
    {
        if (Interlocked.Exchange(ref _handedOver, 1) == 0 && Location is { } location && !Borrowed)
        {
            GC.RemoveMemoryPressure(PressureOf(location));
        }

        GC.SuppressFinalize(this);
    }

    public bool TrySetError(Exception error, ErrorInfo info)
    {
        if (!TryClaim())
        {
            return false;
        }

        Error = error;
        ErrorInfo = info;
        if (Parts is { } parts)
        {
            foreach (var part in parts)
            {
                part.TrySetError(error, info);
            }
        }

        return Release();
    }

    /// <summary>
    /// Completes the entry from a task's reply: its value, its location, or its error as a typed exception.
    /// Refs the result holds are resolved first and kept by this entry, so they live as long as the result.
    /// </summary>
    public bool TryComplete(TaskReply reply, Func<ErrorInfo, Exception>? mapError = null)
    {
        if (Parts is { } parts && reply.ResultCase != TaskReply.ResultOneofCase.Error)
        {
            return TryCompleteParts(parts, reply, mapError);
        }

        if (reply.NestedRefs.Count > 0 && reply.ResultCase != TaskReply.ResultOneofCase.Error && !IsCompleted)
        {
            Contained = Owner.Registry.Adopt(reply.NestedRefs);
        }

        return reply.ResultCase switch
        {
            TaskReply.ResultOneofCase.Value => TrySetValue(reply.Value),
            TaskReply.ResultOneofCase.Location => TrySetLocation(reply.Location),
            _ => TrySetError((mapError ?? Serialization.ErrorConverter.ToException)(reply.Error), reply.Error),
        };
    }

    private bool TryCompleteParts(ObjectEntry[] parts, TaskReply reply, Func<ErrorInfo, Exception>? mapError)
    {
        if (reply.Returns.Count != parts.Length)
        {
            var info = new ErrorInfo
            {
                Kind = ErrorKind.System,
                Type = nameof(InvalidOperationException),
                Message = $"The task's reply held {reply.Returns.Count} values for {parts.Length} returns: the node runs a Granary version without multiple returns.",
                NodeId = reply.NodeId,
            };
            return TrySetError(new GranaryException(info.Message), info);
        }

        if (!TryClaim())
        {
            return false;
        }

        for (var i = 0; i < parts.Length; i++)
        {
            parts[i].TryComplete(reply.Returns[i], mapError);
        }

        Inline = new Value();
        return Release();
    }

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Error is not null)
        {
            ExceptionDispatchInfo.Throw(Error);
        }
    }

    public ValueTask<T> GetAsync<T>(CancellationToken cancellationToken)
    {
        if (_done.Task.IsCompleted && Error is null && Inline is not null)
        {
            return new ValueTask<T>(Owner.Serializer.Deserialize<T>(Inline));
        }

        return GetSlowAsync<T>(cancellationToken);
    }

    /// <summary>The value in wire form, fetching it from its node when it is stored remotely.</summary>
    public async ValueTask<Value> GetValueAsync(CancellationToken cancellationToken)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(static (_, value) => value, static (owner, location, token) => owner.FetchAsync(location, token), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> GetSlowAsync<T>(CancellationToken cancellationToken)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(
            static (owner, inline) => owner.Serializer.Deserialize<T>(inline),
            static async (owner, location, token) => (T)(await owner.FetchObjectAsync(location, typeof(T), token).ConfigureAwait(false))!,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a completed entry's value: the inline or pulled copy when there is one, else from its node; a
    /// copy lost with its node is computed again (<see cref="Rebuild"/>) and read from where it is now.
    /// </summary>
    private async ValueTask<TResult> ReadAsync<TResult>(Func<IObjectOwner, Value, TResult> fromValue, Func<IObjectOwner, ObjectLocation, CancellationToken, ValueTask<TResult>> fetch, CancellationToken cancellationToken)
    {
        while (true)
        {
            if ((Inline ?? Volatile.Read(ref _local)) is { } value)
            {
                return fromValue(Owner, value);
            }

            var location = Location!;
            try
            {
                return await fetch(Owner, location, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsLoss(ex) && Rebuild is not null)
            {
                await RebuildAfterLossAsync(location, ex, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsLoss(Exception error) => error is ObjectLostException or NodeDiedException;

    /// <summary>
    /// The copy at <paramref name="lost"/> is gone: runs the object's task again (once, however many readers
    /// found it gone) or throws ObjectLost when that is not possible. Returns once the entry names a new copy.
    /// </summary>
    public async Task RebuildAfterLossAsync(ObjectLocation lost, Exception loss, CancellationToken cancellationToken)
    {
        Task<bool> rebuilt;
        lock (_done)
        {
            if (!ReferenceEquals(Location, lost))
            {
                return;
            }

            var extras = _extras!;
            if (extras.Rebuilding is not { } current || !ReferenceEquals(current.Lost, lost))
            {
                extras.Rebuilding = current = (lost, Rebuild!(CancellationToken.None));
            }

            rebuilt = current.Rebuilt;
        }

        bool done;
        try
        {
            done = await rebuilt.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectLostException(Id, $"Object {Id} was lost with node {lost.NodeId}, and running its task again failed: {ex.Message}", ex);
        }

        if (!done)
        {
            throw new ObjectLostException(Id, $"Object {Id} was lost with node {lost.NodeId}, and its task has no retries left to compute it again (MaxRetries).", loss);
        }
    }

    /// <summary>The object was computed again: its value now lives here (inline) or at a new location.</summary>
    public void Relocate(Value? inline, ObjectLocation? location)
    {
        lock (_done)
        {
            if (Location is { } old && Volatile.Read(ref _handedOver) == 0 && !Borrowed)
            {
                GC.RemoveMemoryPressure(PressureOf(old));
            }

            if (location is not null && !Borrowed)
            {
                GC.AddMemoryPressure(PressureOf(location));
            }

            Inline = inline;
            Location = location;
            if (location is null)
            {
                GC.SuppressFinalize(this);
            }
        }
    }

    /// <summary>True once the value is known and, when it lives on a node, a copy of it is here too.</summary>
    public bool IsLocal => IsCompleted && (Error is not null || Inline is not null || Volatile.Read(ref _local) is not null);

    /// <summary>
    /// Completes when the value is known and, when it lives on a node, a copy has been pulled here (Ray's
    /// <c>fetch_local</c>), so a get right after takes no transfer. A failed pull still counts as done: the
    /// get that follows reports the failure.
    /// </summary>
    public Task ReadyHereAsync(CancellationToken cancellationToken) =>
        IsLocal ? Task.CompletedTask : PullAsync(cancellationToken);

    private async Task PullAsync(CancellationToken cancellationToken)
    {
        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Error is not null || Inline is not null || Location is not { } location || Volatile.Read(ref _local) is not null)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _local, await Owner.FetchAsync(location, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Ready all the same, as in Ray: the get that follows fetches again and reports what went wrong.
        }
    }

    private static long PressureOf(ObjectLocation location) => Math.Max(1, location.Size);

    private bool TryClaim() => Interlocked.Exchange(ref _completed, 1) == 0;

    private bool Release()
    {
        Producer = null;
        _done.TrySetResult();
        return true;
    }

    private sealed class Extras
    {
        public ObjectEntry[]? Parts { get; set; }

        public Func<CancellationToken, Task<bool>>? Rebuild { get; set; }

        // The rebuild in progress, shared by every reader that found the same copy lost.
        public (ObjectLocation Lost, Task<bool> Rebuilt)? Rebuilding { get; set; }
    }
}
