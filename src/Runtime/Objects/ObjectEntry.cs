using System.Runtime.ExceptionServices;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// The owner's record of one object: pending, then ready (inline value or a location) or failed.
/// It completes once; later completions are ignored. Thread-safe.
/// </summary>
internal sealed class ObjectEntry
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completed;

    public ObjectEntry(string id, IObjectOwner owner)
    {
        Id = id;
        Owner = owner;

        // Only entries whose value lives in a silo's store need a finalizer (to free it there); most stay inline.
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The owner's last reference is gone (no ObjectRef, and no pending task that borrows it as an argument
    /// still holds the entry): the stored copy can go. Reference counting by the garbage collector.
    /// </summary>
    ~ObjectEntry()
    {
        if (Location is { } location)
        {
            Owner.Release(location);
        }
    }

    public string Id { get; }

    public IObjectOwner Owner { get; }

    public Value? Inline { get; private set; }

    public ObjectLocation? Location { get; private set; }

    public Exception? Error { get; private set; }

    /// <summary>The failure in wire form, so a dependent task can carry it as its cause.</summary>
    public ErrorInfo? ErrorInfo { get; private set; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0 && _done.Task.IsCompleted;

    /// <summary>Completes when the entry is ready or failed; never faults.</summary>
    public Task Completion => _done.Task;

    public bool TrySetValue(Value value) => TryComplete(() => Inline = value);

    public bool TrySetLocation(ObjectLocation location) => TryComplete(() =>
    {
        Location = location;
        GC.ReRegisterForFinalize(this);
    });

    public bool TrySetError(Exception error, ErrorInfo info) => TryComplete(() =>
    {
        Error = error;
        ErrorInfo = info;
    });

    /// <summary>Completes the entry from a task's reply: its value, its location, or its error as a typed exception.</summary>
    public bool TryComplete(TaskReply reply, Func<ErrorInfo, Exception>? mapError = null) => reply.ResultCase switch
    {
        TaskReply.ResultOneofCase.Value => TrySetValue(reply.Value),
        TaskReply.ResultOneofCase.Location => TrySetLocation(reply.Location),
        _ => TrySetError((mapError ?? Serialization.ErrorConverter.ToException)(reply.Error), reply.Error),
    };

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
        return Inline ?? await Owner.FetchAsync(Location!, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> GetSlowAsync<T>(CancellationToken cancellationToken)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return Inline is { } inline
            ? Owner.Serializer.Deserialize<T>(inline)
            : (T)(await Owner.FetchObjectAsync(Location!, typeof(T), cancellationToken).ConfigureAwait(false))!;
    }

    private bool TryComplete(Action assign)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        assign();
        _done.TrySetResult();
        return true;
    }
}
