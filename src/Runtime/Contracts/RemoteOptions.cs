namespace Granary;

/// <summary>Per-call options for a remote function. Not thread-safe; do not mutate one while a call uses it.</summary>
public sealed class RemoteOptions : ResourceOptions
{
    /// <summary>How many times the task is retried after a system failure (its node or worker died). Ray's default is 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Also retry (up to <see cref="MaxRetries"/>) when the method itself throws.</summary>
    public bool RetryExceptions { get; set; }

    /// <summary>A name shown in logs and errors instead of the method's name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Run in the silo process (default) or in a worker process with its own CUDA_VISIBLE_DEVICES. A task that
    /// asks for GPUs always runs in a worker process, so that variable names exactly its GPUs.
    /// </summary>
    public Isolation Isolation { get; set; }

    internal static readonly RemoteOptions Default = new();

    internal override void Validate()
    {
        base.Validate();
        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be 0 or more (0 disables retries).");
        }
    }
}
