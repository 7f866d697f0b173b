using Google.Protobuf;
using Granary.Runtime.Wire;
using StackExchange.Redis;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// The head's tables in a real Redis server: one hash per table (field = id, value = the protobuf record in
/// base64) and one key per assembly blob. Writes are awaited, so a reply the head sends is already durable
/// in Redis. Thread-safe: StackExchange.Redis pipelines concurrent calls over one multiplexed connection, and
/// reconnects by itself after a drop (commands issued meanwhile wait in its backlog, up to its async timeout).
/// </summary>
internal sealed class RedisHeadStore(ConnectionMultiplexer connection) : IHeadStore, IAsyncDisposable
{
    private const string Prefix = "granary:";
    private const string ClusterKey = Prefix + "cluster";
    private const string NodesKey = Prefix + "nodes";
    private const string ActorsKey = Prefix + "actors";
    private const string JobsKey = Prefix + "jobs";
    private const string GroupsKey = Prefix + "groups";
    private const string BlobIndexKey = Prefix + "blobs";
    private const string BlobKeyPrefix = Prefix + "blob:";

    private readonly IDatabase _redis = connection.GetDatabase();

    public bool IsPersistent => true;

    /// <summary>Connects to <paramref name="configuration"/> (see <see cref="RedisConfiguration"/>) or throws a one-line <see cref="GranaryException"/>.</summary>
    public static async Task<RedisHeadStore> ConnectAsync(string configuration, CancellationToken cancellationToken) =>
        new(await RedisConnector.ConnectAsync(configuration, cancellationToken).ConfigureAwait(false));

    public async Task<HeadSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        // Issued together: the multiplexer pipelines them, so a restore costs one round trip per stage.
        var clusterId = _redis.StringGetAsync(ClusterKey);
        var nodes = ReadAsync(NodesKey, NodeInfo.Parser);
        var actors = ReadAsync(ActorsKey, PersistedActor.Parser);
        var jobs = ReadAsync(JobsKey, JobManifest.Parser);
        var groups = ReadAsync(GroupsKey, PersistedGroup.Parser);
        var hashes = await Wait(_redis.HashKeysAsync(BlobIndexKey), cancellationToken).ConfigureAwait(false);
        var contents = await Wait(_redis.StringGetAsync(hashes.Select(hash => (RedisKey)(BlobKeyPrefix + hash)).ToArray()), cancellationToken).ConfigureAwait(false);
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < hashes.Length; i++)
        {
            // An index entry whose blob is gone (deleted by hand) is skipped; the job that needs it fails to load its code.
            if (!contents[i].IsNull)
            {
                blobs[hashes[i].ToString()] = (byte[])contents[i]!;
            }
        }

        return new HeadSnapshot(
            (string?)await Wait(clusterId, cancellationToken).ConfigureAwait(false),
            await Wait(nodes, cancellationToken).ConfigureAwait(false),
            await Wait(actors, cancellationToken).ConfigureAwait(false),
            await Wait(jobs, cancellationToken).ConfigureAwait(false),
            blobs,
            await Wait(groups, cancellationToken).ConfigureAwait(false));
    }

    public Task SaveClusterIdAsync(string clusterId, CancellationToken cancellationToken) =>
        Wait(_redis.StringSetAsync(ClusterKey, clusterId), cancellationToken);

    public Task SaveNodeAsync(NodeInfo node, CancellationToken cancellationToken) => WriteAsync(NodesKey, node.NodeId, node, cancellationToken);

    public Task SaveActorAsync(PersistedActor actor, CancellationToken cancellationToken) => WriteAsync(ActorsKey, actor.Info.ActorId, actor, cancellationToken);

    public Task RemoveActorAsync(string actorId, CancellationToken cancellationToken) =>
        Wait(_redis.HashDeleteAsync(ActorsKey, actorId), cancellationToken);

    public Task SaveJobAsync(JobManifest manifest, CancellationToken cancellationToken) => WriteAsync(JobsKey, manifest.JobId, manifest, cancellationToken);

    public async Task SaveBlobAsync(string hash, byte[] content, CancellationToken cancellationToken)
    {
        // The blob first: an index entry must never point at bytes that are not there yet.
        await Wait(_redis.StringSetAsync(BlobKeyPrefix + hash, content), cancellationToken).ConfigureAwait(false);
        await Wait(_redis.HashSetAsync(BlobIndexKey, hash, content.Length), cancellationToken).ConfigureAwait(false);
    }

    public Task SaveGroupAsync(PersistedGroup group, CancellationToken cancellationToken) => WriteAsync(GroupsKey, group.Spec.GroupId, group, cancellationToken);

    public Task RemoveGroupAsync(string groupId, CancellationToken cancellationToken) =>
        Wait(_redis.HashDeleteAsync(GroupsKey, groupId), cancellationToken);

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    /// <summary>
    /// The library's calls take no token. A caller that stops waiting (the silo is stopping) gets control back;
    /// the command itself may still reach Redis, as it could have once sent.
    /// </summary>
    private static Task<T> Wait<T>(Task<T> command, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? command.WaitAsync(cancellationToken) : command;

    private Task WriteAsync(string table, string id, IMessage record, CancellationToken cancellationToken) =>
        Wait(_redis.HashSetAsync(table, id, Convert.ToBase64String(record.ToByteArray())), cancellationToken);

    private async Task<List<T>> ReadAsync<T>(string table, MessageParser<T> parser)
        where T : IMessage<T>
    {
        var rows = await _redis.HashValuesAsync(table).ConfigureAwait(false);
        return rows.Select(row => parser.ParseFrom(Convert.FromBase64String(row.ToString()))).ToList();
    }
}
