namespace Granary;

/// <summary>
/// A multi-rank launch (Databricks' <c>@distributed</c>, torchrun): one rank per GPU, each in a process of its
/// own with torchrun's environment. Validated when <c>RunAsync</c> is called.
/// </summary>
public sealed class DistributedOptions
{
    /// <summary>How many ranks: one per GPU. Required, at least 1.</summary>
    public int Gpus { get; init; }

    /// <summary>The GPU type every rank needs ("H100"). Required when <see cref="Remote"/> is set, as in the seed API.</summary>
    public string? GpuType { get; init; }

    /// <summary>
    /// True (the default): the ranks run across the cluster the client is connected to, packed onto as few nodes
    /// as hold them. False: torchrun on this machine, N local worker processes of an embedded one-node cluster
    /// started for the launch and stopped after it.
    /// </summary>
    public bool Remote { get; init; } = true;

    /// <summary>CPUs each rank reserves besides its GPU.</summary>
    public double CpusPerRank { get; init; } = 1;

    /// <summary>How long the ranks wait for each other at the rendezvous before the launch fails naming the missing ranks.</summary>
    public TimeSpan RendezvousTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a barrier or a collective waits for the other ranks (torch.distributed's process-group timeout).</summary>
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How ring collectives move data between neighbouring ranks (default: direct TCP links between their processes).</summary>
    public CollectiveTransport CollectiveTransport { get; init; } = CollectiveTransport.Direct;

    internal void Validate()
    {
        if (Gpus < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Gpus), Gpus, "Distributed needs Gpus = N >= 1: one rank runs per GPU.");
        }

        if (Remote && string.IsNullOrWhiteSpace(GpuType))
        {
            throw new ArgumentException("Distributed with Remote = true needs GpuType (such as \"H100\"), as the seed API does: set GpuType to the type the ranks run on, or Remote = false to run the ranks on this machine.", nameof(GpuType));
        }

        if (CpusPerRank < 0 || double.IsNaN(CpusPerRank))
        {
            throw new ArgumentOutOfRangeException(nameof(CpusPerRank), CpusPerRank, "CpusPerRank must be 0 or more.");
        }

        if (RendezvousTimeout <= TimeSpan.Zero || CollectiveTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(RendezvousTimeout <= TimeSpan.Zero ? nameof(RendezvousTimeout) : nameof(CollectiveTimeout), "Launch timeouts must be positive.");
        }
    }
}
