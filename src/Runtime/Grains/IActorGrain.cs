using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Runtime.Grains;

/// <summary>
/// One actor, as one Orleans grain keyed by <see cref="ActorKeys.GrainKey(ActorInfo)"/>: a named actor's key
/// is its name, so Orleans itself keeps one activation per name. The head activates it on the node whose
/// resources it leased; a call that finds no live actor under the key answers ActorDied instead of
/// creating one. Reentrant: the actor's own mailbox orders calls and bounds their concurrency.
/// </summary>
internal interface IActorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs the actor's constructor or factory here; idempotent for the same actor id. False: Orleans routed
    /// the request to an activation on another node than <see cref="ActivateActor.NodeId"/>, which is now
    /// leaving; ask again.
    /// </summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<bool> Activate(ActivateActor request, CancellationToken cancellationToken = default);

    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReply> Call(ActorCall call, CancellationToken cancellationToken = default);

    /// <summary>Several calls, each as <see cref="Call"/> would run it; answers when the last is done, replies in call order.</summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReplies> CallMany(ActorCalls calls, CancellationToken cancellationToken = default);

    /// <summary>Kills actor <paramref name="actorId"/> if it is the one living under this key; later calls fail with ActorDied.</summary>
    Task Kill(string actorId, string reason, CancellationToken cancellationToken = default);
}
