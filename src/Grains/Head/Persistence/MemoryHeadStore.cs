using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Persistence;

/// <summary>No persistence: the head's tables live and die with its process (the default without --redis).</summary>
internal sealed class MemoryHeadStore : IHeadStore
{
    public bool IsPersistent => false;

    public Task<HeadSnapshot> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(HeadSnapshot.Empty);

    public Task SaveClusterIdAsync(string clusterId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveNodeAsync(NodeInfo node, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveActorAsync(PersistedActor actor, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveActorAsync(string actorId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveJobAsync(JobManifest manifest, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveBlobAsync(string hash, byte[] content, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveGroupAsync(PersistedGroup group, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveGroupAsync(string groupId, CancellationToken cancellationToken) => Task.CompletedTask;
}
