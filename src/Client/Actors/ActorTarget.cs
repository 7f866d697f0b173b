using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>
/// One incarnation of an actor as one handle sends to it: where it lives, and the numbering of the handle's
/// calls there. A restarted actor starts with a fresh <see cref="CallOrder"/>, so the handle numbers its
/// calls from 1 again under a new caller id. Counts the calls sent to it that have not come back, so a
/// restart can wait for all of them before it sends any again. Guarded by its queue's route lock.
/// </summary>
internal sealed class ActorTarget(ActorInfo info, NodeChannel node)
{
    private static long _targets;
    private GrainOnRoute? _grain;

    public ActorInfo Info { get; } = info;

    public NodeChannel Node { get; } = node;

    public string CallerId { get; } = Guid.NewGuid().ToString("N")[..16] + "-" + Interlocked.Increment(ref _targets).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Calls numbered for this incarnation so far.</summary>
    public long Sent { get; set; }

    /// <summary>Calls numbered for this incarnation that have not been completed.</summary>
    public int InFlight { get; set; }

    /// <summary>Calls lost with this incarnation (its node died under them), waiting for the restart to decide.</summary>
    public List<ActorOutgoing> Lost { get; } = [];

    /// <summary>Set while a restart waits for <see cref="InFlight"/> to reach 0.</summary>
    public TaskCompletionSource? Drained { get; set; }

    /// <summary>The actor's grain on the node channel's current route (direct once that is up).</summary>
    public IActorGrain Grain()
    {
        var factory = Node.Grains;
        var current = Volatile.Read(ref _grain);
        if (current is null || !ReferenceEquals(current.Factory, factory))
        {
            current = new GrainOnRoute(factory, factory.GetGrain<IActorGrain>(ActorKeys.GrainKey(Info)));
            Volatile.Write(ref _grain, current);
        }

        return current.Grain;
    }

    private sealed record GrainOnRoute(Orleans.IGrainFactory Factory, IActorGrain Grain);
}
