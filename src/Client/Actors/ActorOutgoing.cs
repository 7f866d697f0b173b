using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>One call of a handle on its way: the call, its result entry, the values it borrows, and the incarnation it was numbered for.</summary>
internal sealed class ActorOutgoing(ActorCall call, ObjectEntry result, List<ObjectEntry>? borrowed)
{
    public ActorCall Call { get; } = call;

    public ObjectEntry Result { get; } = result;

    public List<ObjectEntry>? Borrowed { get; } = borrowed;

    public ActorTarget? Target { get; set; }

    /// <summary>Why its last try was lost (the node's failure, or the grain's answer), for the error if it is not tried again.</summary>
    public string? LostBecause { get; set; }

    /// <summary>
    /// False when its last try was answered ActorDied: no live instance took it (an empty activation, or a
    /// dying one's mailbox), so it did not run and may go again whatever MaxTaskRetries says.
    /// </summary>
    public bool MayHaveRun { get; set; }

    /// <summary>Times it went again after an answer that it did not run; bounded in time, so a key that keeps answering so ends.</summary>
    public int NotRunTries { get; set; }

    /// <summary>Environment.TickCount64 at its first answer that it did not run.</summary>
    public long FirstNotRunAt { get; set; }

    /// <summary>Times it was sent again to a restarted actor (counted against MaxTaskRetries).</summary>
    public int Retries { get; set; }
}
