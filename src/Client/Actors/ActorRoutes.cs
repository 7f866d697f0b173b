using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>Where a handle finds its actor: the node channel of an incarnation, and the head's word on where a restarted actor went. Thread-safe.</summary>
internal sealed class ActorRoutes(NodeChannels nodes, Func<IHeadGrain> head, CancellationToken disposing)
{
    /// <summary>The channel to the actor's node; a direct route opens only to a live actor's node.</summary>
    public NodeChannel Channel(ActorInfo info) =>
        info.State == ActorState.Alive ? nodes.Get(info.NodeId, info.Address) : nodes.Get(info.NodeId);

    /// <summary>The actor once it lives in incarnation <paramref name="minRestarts"/> or later, or is dead for good; see <see cref="IHeadGrain.AwaitActor"/>.</summary>
    public Task<ActorInfo> AwaitAsync(string actorId, int minRestarts) =>
        head().AwaitActor(new ActorLookup { ActorId = actorId, MinRestarts = minRestarts }, disposing);
}
