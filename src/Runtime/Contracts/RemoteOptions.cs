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

    /// <summary>
    /// Pack this task onto a GPU by memory rather than by a logical fraction: <see cref="Granary.GpuMemory.Profiled"/>
    /// measures its job type the first time (alone on a device) and packs later calls by that profile plus a
    /// margin; <see cref="Granary.GpuMemory.Of"/> declares the bytes. The task gets one device, shared with other
    /// tasks whose memory fits beside it. Leave <see cref="ResourceOptions.Gpus"/> at 0 with it.
    /// </summary>
    public GpuMemory? GpuMemory { get; set; }

    /// <summary>Shorthand for <c>GpuMemory = GpuMemory.Of(bytes)</c>: declared GPU memory, packed without profiling. 0: not set.</summary>
    public long GpuMemoryBytes { get; set; }

    /// <summary>The GPU memory request this call makes: <see cref="GpuMemory"/>, else <see cref="GpuMemoryBytes"/>; null for neither.</summary>
    internal GpuMemory? EffectiveGpuMemory => GpuMemory ?? (GpuMemoryBytes > 0 ? Granary.GpuMemory.Of(GpuMemoryBytes) : null);

    internal static readonly RemoteOptions Default = new();

    internal override void Validate()
    {
        base.Validate();
        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be 0 or more (0 disables retries).");
        }

        if (GpuMemoryBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuMemoryBytes), GpuMemoryBytes, "GpuMemoryBytes must be 0 or more (0: not set).");
        }

        if (GpuMemory is not null && GpuMemoryBytes > 0)
        {
            throw new ArgumentException("Set GpuMemory or GpuMemoryBytes, not both: GpuMemoryBytes = n is the same as GpuMemory = GpuMemory.Of(n).", nameof(GpuMemoryBytes));
        }

        if (EffectiveGpuMemory is { } memory)
        {
            if (Gpus > 0)
            {
                throw new ArgumentException(
                    $"GpuMemory ({memory}) already asks for a share of one GPU, sized by memory; Gpus = {Gpus} asks for logical GPUs as well. Leave Gpus at 0 to pack by memory, or drop GpuMemory to ask for whole or fractional GPUs.",
                    nameof(Gpus));
            }

            if (PlacementGroup is not null)
            {
                throw new ArgumentException(
                    "GpuMemory cannot be used inside a placement group: bundles reserve logical GPUs (Gpus), not memory. Ask the bundle for Gpus instead, or submit outside the group.",
                    nameof(PlacementGroup));
            }
        }
    }
}
