using Granary.Runtime.Wire;

namespace Granary.Runtime.Code;

/// <summary>Where a silo gets a job's assembly list and the assembly bytes (the head keeps both).</summary>
internal interface ICodeSource
{
    Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken);

    Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken);
}
