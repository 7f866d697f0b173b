using Orleans;

namespace Granary.Runtime.Objects;

/// <summary>
/// What a running task or actor call needs to submit work of its own from the process it runs in (a silo or
/// a worker process): that process's Orleans client and one in-cluster Granary client per job, kept here so
/// it lives as long as the job does on this node. Implemented in Granary.Grains; the client type itself lives
/// in Granary.Client, which the runtime cannot name, hence the factory. Thread-safe.
/// </summary>
internal interface IClusterAccess
{
    /// <summary>This process's node id (a worker process reports its silo's).</summary>
    string NodeId { get; }

    /// <summary>The Orleans client of this process: the silo's own, or a worker process's connection to its silo.</summary>
    IClusterClient Orleans { get; }

    /// <summary>The job's manifest version as this process has it: every method its running code can name is covered.</summary>
    int ManifestVersion(string jobId);

    /// <summary>
    /// The job's in-cluster client in this process, made by <paramref name="create"/> on first use and disposed
    /// when the job ends here. Throws when the job has already ended on this node.
    /// </summary>
    T ClientFor<T>(string jobId, Func<T> create)
        where T : class, IAsyncDisposable;
}
