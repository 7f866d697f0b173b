using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// The head's tables in a real Redis server: one hash per table (field = id, value = the protobuf record in
/// base64) and one key per assembly blob. Writes are awaited, so a reply the head sends is already durable
/// in Redis. Thread-safe (the RESP client pipelines concurrent calls).
/// </summary>
internal sealed class RedisHeadStore(RespClient redis) : IHeadStore, IAsyncDisposable
{
    private const string Prefix = "granary:";
    private const string ClusterKey = Prefix + "cluster";
    private const string NodesKey = Prefix + "nodes";
    private const string ActorsKey = Prefix + "actors";
    private const string JobsKey = Prefix + "jobs";
    private const string GroupsKey = Prefix + "groups";
    private const string BlobIndexKey = Prefix + "blobs";

    public bool IsPersistent => true;

    public static async Task<RedisHeadStore> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            return new RedisHeadStore(await RespClient.ConnectAsync(address, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            throw new GranaryException($"Cannot reach Redis at {address}: {ex.Message}. Start redis-server there or drop --redis.", ex);
        }
    }

    public async Task<HeadSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var clusterId = await redis.GetAsync(ClusterKey, cancellationToken).ConfigureAwait(false);
        var nodes = await ReadAsync(NodesKey, NodeInfo.Parser, cancellationToken).ConfigureAwait(false);
        var actors = await ReadAsync(ActorsKey, PersistedActor.Parser, cancellationToken).ConfigureAwait(false);
        var jobs = await ReadAsync(JobsKey, JobManifest.Parser, cancellationToken).ConfigureAwait(false);
        var groups = await ReadAsync(GroupsKey, PersistedGroup.Parser, cancellationToken).ConfigureAwait(false);
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var hash in (await redis.HashGetAllAsync(BlobIndexKey, cancellationToken).ConfigureAwait(false)).Keys)
        {
            if (await redis.GetBytesAsync(Prefix + "blob:" + hash, cancellationToken).ConfigureAwait(false) is { } content)
            {
                blobs[hash] = content;
            }
        }

        return new HeadSnapshot(clusterId, nodes, actors, jobs, blobs, groups);
    }

    public Task SaveClusterIdAsync(string clusterId, CancellationToken cancellationToken) => redis.SetAsync(ClusterKey, clusterId, cancellationToken);

    public Task SaveNodeAsync(NodeInfo node, CancellationToken cancellationToken) => WriteAsync(NodesKey, node.NodeId, node, cancellationToken);

    public Task SaveActorAsync(PersistedActor actor, CancellationToken cancellationToken) => WriteAsync(ActorsKey, actor.Info.ActorId, actor, cancellationToken);

    public Task RemoveActorAsync(string actorId, CancellationToken cancellationToken) => redis.HashDeleteAsync(ActorsKey, actorId, cancellationToken);

    public Task SaveJobAsync(JobManifest manifest, CancellationToken cancellationToken) => WriteAsync(JobsKey, manifest.JobId, manifest, cancellationToken);

    public async Task SaveBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        await redis.SetBytesAsync(Prefix + "blob:" + hash, content, cancellationToken).ConfigureAwait(false);
        await redis.HashSetAsync(BlobIndexKey, hash, content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
    }

    public Task SaveGroupAsync(PersistedGroup group, CancellationToken cancellationToken) => WriteAsync(GroupsKey, group.Spec.GroupId, group, cancellationToken);

    public Task RemoveGroupAsync(string groupId, CancellationToken cancellationToken) => redis.HashDeleteAsync(GroupsKey, groupId, cancellationToken);

    public ValueTask DisposeAsync() => redis.DisposeAsync();

    private Task WriteAsync(string table, string id, IMessage record, CancellationToken cancellationToken) =>
        redis.HashSetAsync(table, id, Convert.ToBase64String(record.ToByteArray()), cancellationToken);

    private async Task<List<T>> ReadAsync<T>(string table, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var rows = await redis.HashGetAllAsync(table, cancellationToken).ConfigureAwait(false);
        return rows.Values.Select(v => parser.ParseFrom(Convert.FromBase64String(v))).ToList();
    }
}
