using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// Where the head's tables live beyond its process: membership, actors (named and detached among them),
/// jobs' code and placement groups. Writes go through as the tables change; a restarted head loads them.
/// Implementations are thread-safe.
/// </summary>
internal interface IHeadStore
{
    bool IsPersistent { get; }

    Task<HeadSnapshot> LoadAsync(CancellationToken cancellationToken);

    Task SaveClusterIdAsync(string clusterId, CancellationToken cancellationToken);

    Task SaveNodeAsync(NodeInfo node, CancellationToken cancellationToken);

    Task SaveActorAsync(PersistedActor actor, CancellationToken cancellationToken);

    Task RemoveActorAsync(string actorId, CancellationToken cancellationToken);

    Task SaveJobAsync(JobManifest manifest, CancellationToken cancellationToken);

    Task SaveBlobAsync(string hash, byte[] content, CancellationToken cancellationToken);

    Task SaveGroupAsync(PersistedGroup group, CancellationToken cancellationToken);

    Task RemoveGroupAsync(string groupId, CancellationToken cancellationToken);
}
