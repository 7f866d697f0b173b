namespace Granary;

/// <summary>Options for creating an actor.</summary>
public sealed class ActorOptions : ResourceOptions
{
    /// <summary>A cluster-wide name; named actors have exactly one activation and can be looked up.</summary>
    public string? Name { get; set; }

    public ActorLifetime Lifetime { get; set; } = ActorLifetime.Owned;

    /// <summary>
    /// How many calls may run at once. 1 (the default) runs calls one at a time in arrival order;
    /// more lets async methods interleave at their awaits.
    /// </summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>
    /// How often the actor is created again, with the same constructor or factory and arguments, on another
    /// node when its node dies (Ray's max_restarts). 0 (the default) never restarts it; -1 restarts it
    /// without limit. Handles and the name stay valid across a restart; the actor's state starts afresh.
    /// </summary>
    public int MaxRestarts { get; set; }

    /// <summary>
    /// How often a call that was in flight when the actor's node died is sent again to the restarted actor
    /// (Ray's max_task_retries), so it may run twice. 0 (the default) fails it with
    /// <see cref="ActorDiedException"/>; -1 retries it without limit. Needs <see cref="MaxRestarts"/>.
    /// </summary>
    public int MaxTaskRetries { get; set; }

    internal static readonly ActorOptions Default = new();

    internal override void Validate()
    {
        base.Validate();
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be 1 or more.");
        }

        if (MaxRestarts < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRestarts), MaxRestarts, "MaxRestarts must be 0 (never restart), a positive count, or -1 (restart without limit).");
        }

        if (MaxTaskRetries < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTaskRetries), MaxTaskRetries, "MaxTaskRetries must be 0 (fail calls in flight), a positive count, or -1 (retry without limit).");
        }

        if (MaxTaskRetries != 0 && MaxRestarts == 0)
        {
            throw new ArgumentException("MaxTaskRetries retries calls on a restarted actor, but MaxRestarts is 0, so the actor never restarts; set MaxRestarts too.", nameof(MaxTaskRetries));
        }

        if (Name is { Length: 0 })
        {
            throw new ArgumentException("An actor name must not be empty; leave Name null for an anonymous actor.", nameof(Name));
        }
    }
}
