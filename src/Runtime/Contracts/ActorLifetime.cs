namespace Granary;

/// <summary>How long an actor lives.</summary>
public enum ActorLifetime
{
    /// <summary>The actor dies when the client (job) that created it disconnects.</summary>
    Owned,

    /// <summary>The actor outlives its creator, as a long-lived service, until killed.</summary>
    Detached,
}
