using Granary.Runtime.Code;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>Fetches job manifests and assembly bytes from the head, which keeps what clients uploaded.</summary>
internal sealed class HeadCodeSource(Func<IHeadGrain> head) : ICodeSource
{
    public Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken) => head().GetJobManifest(jobId, cancellationToken);

    public async Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken) =>
        (await head().FetchAssembly(hash, cancellationToken).ConfigureAwait(false)).Content.ToByteArray();
}
