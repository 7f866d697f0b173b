namespace Granary;

/// <summary>How a launch's ring collectives move their data between neighbouring ranks.</summary>
public enum CollectiveTransport
{
    /// <summary>
    /// A TCP connection from each rank's process to the next rank's, opened at the rendezvous (as gloo and
    /// NCCL's socket transport do). The default: on the benchmark machine it moves bytes many times faster
    /// than grain calls (benchmarks/README.md has both figures). Needs the ranks' hosts to reach each other
    /// on ephemeral ports.
    /// </summary>
    Direct,

    /// <summary>Orleans grain calls: to the next rank's node grain, silo to silo, taken from there by the rank.</summary>
    Silos,
}
