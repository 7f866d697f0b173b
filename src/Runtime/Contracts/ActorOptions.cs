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

    internal static readonly ActorOptions Default = new();

    internal override void Validate()
    {
        base.Validate();
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be 1 or more.");
        }

        if (Name is { Length: 0 })
        {
            throw new ArgumentException("An actor name must not be empty; leave Name null for an anonymous actor.", nameof(Name));
        }
    }
}
