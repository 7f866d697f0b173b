using System.Linq.Expressions;
using Granary.Client.Actors;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// A handle to a live actor. Calls made through one handle run in the order they were made. Handles are
/// cheap; the actor lives on its node until killed, its owner disconnects (owned actors) or its node dies.
/// A handle is a value: passed to a task or an actor call, or inside a value (a record field, a list), it
/// reaches the receiver as a working handle to the same actor, calling through the receiver's client
/// (<c>TaskContext.Client</c> inside the cluster). Thread-safe.
/// </summary>
public sealed class ActorHandle<T> : IActorHandleValue<ActorHandle<T>>
    where T : class
{
    private readonly GranaryClient _client;
    private readonly ActorInfo _info;
    private readonly ActorCallQueue _queue;

    internal ActorHandle(GranaryClient client, ActorInfo info)
    {
        _client = client;
        _info = info;
        _queue = client.NewCallQueue(info);
    }

    ActorInfo IActorHandleValue<ActorHandle<T>>.Info => _info;

    static ActorHandle<T> IActorHandleValue<ActorHandle<T>>.Bind(ActorInfo info, IObjectOwner reader) => GranaryClient.ForReader(reader).Handle<T>(info);

    public string Id => _info.ActorId;

    /// <summary>The actor's cluster-wide name, or null for an anonymous actor.</summary>
    public string? Name => _info.Name.Length == 0 ? null : _info.Name;

    /// <summary>The node the actor lives on, as this handle last saw it: a restart moves the actor to another node.</summary>
    public string NodeId => _queue.NodeId;

    public ObjectRef<TResult> Call<TResult>(Expression<Func<T, TResult>> call) => new(_client.CallActor(_info, _queue, call));

    public ObjectRef<TResult> Call<TResult>(Expression<Func<T, Task<TResult>>> call) => new(_client.CallActor(_info, _queue, call));

    public ObjectRef<TResult> Call<TResult>(Expression<Func<T, ValueTask<TResult>>> call) => new(_client.CallActor(_info, _queue, call));

    public ObjectRef Call(Expression<Action<T>> call) => new ObjectRef<object?>(_client.CallActor(_info, _queue, call));

    public ObjectRef Call(Expression<Func<T, Task>> call) => new ObjectRef<object?>(_client.CallActor(_info, _queue, call));

    public ObjectRef Call(Expression<Func<T, ValueTask>> call) => new ObjectRef<object?>(_client.CallActor(_info, _queue, call));

    /// <summary>Kills the actor.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) => _client.KillAsync(this, cancellationToken);

    public override string ToString() => $"ActorHandle<{typeof(T).Name}>({Name ?? Id} on {NodeId})";
}
