using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Persistence;

/// <summary>Everything a restarted head reads back from its store.</summary>
internal sealed record HeadSnapshot(
    string? ClusterId,
    IReadOnlyList<NodeInfo> Nodes,
    IReadOnlyList<PersistedActor> Actors,
    IReadOnlyList<JobManifest> Jobs,
    IReadOnlyDictionary<string, byte[]> Blobs,
    IReadOnlyList<PersistedGroup> Groups)
{
    public static HeadSnapshot Empty { get; } = new(null, [], [], [], new Dictionary<string, byte[]>(), []);
}
