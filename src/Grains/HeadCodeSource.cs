using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>Fetches job manifests and assembly bytes from the head, which keeps what clients uploaded.</summary>
internal sealed class HeadCodeSource(HeadChannel head) : ICodeSource
{
    public async Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken)
    {
        var reply = await head.RequestAsync(new Envelope { GetJobManifest = new GetJobManifest { JobId = jobId } }, cancellationToken).ConfigureAwait(false);
        return reply.JobManifest;
    }

    public async Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken)
    {
        var reply = await head.RequestAsync(new Envelope { FetchAssembly = new FetchAssembly { Hash = hash } }, cancellationToken).ConfigureAwait(false);
        return reply.AssemblyBlob.Content.ToByteArray();
    }
}
