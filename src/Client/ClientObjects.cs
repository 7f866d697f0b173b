using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>
/// The client as owner of its objects: decodes values, pulls large ones from the silo that holds them, frees
/// them when their entries are collected, and keeps the registry through which refs read out of values
/// resolve to the client's own live entries. Thread-safe.
/// </summary>
internal sealed class ClientObjects : IObjectOwner, IAsyncDisposable
{
    private readonly ValueSerializer serializer;
    private readonly NodeChannels nodes;
    private readonly int chunkBytes;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ObjectLocation> _released = new();
    private readonly Timer _flush;
    private long _bytesFetched;
    private long _freed;

    public ClientObjects(string jobId, ValueSerializer serializer, NodeChannels nodes, int chunkBytes)
    {
        OwnerId = jobId;
        Registry = new ObjectRegistry(this);
        this.serializer = serializer;
        this.nodes = nodes;
        this.chunkBytes = chunkBytes;
        serializer.Owner = this;
        _flush = new Timer(_ => Flush(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public string OwnerId { get; }

    /// <summary>The client these objects belong to: actor handles read out of its values call through it.</summary>
    public GranaryClient? Client { get; set; }

    public ObjectRegistry Registry { get; }

    /// <summary>Objects this client has told silos to free.</summary>
    public long Freed => Interlocked.Read(ref _freed);

    public void Release(ObjectLocation location) => _released.Enqueue(location);

    public async ValueTask DisposeAsync()
    {
        await _flush.DisposeAsync().ConfigureAwait(false);
        Flush();
    }

    /// <summary>Sends the queued frees, one message per node, to the nodes still alive.</summary>
    private void Flush()
    {
        if (_released.IsEmpty)
        {
            return;
        }

        var byNode = new Dictionary<string, FreeObjects>(StringComparer.Ordinal);
        while (_released.TryDequeue(out var location))
        {
            if (!byNode.TryGetValue(location.NodeId, out var batch))
            {
                byNode[location.NodeId] = batch = new FreeObjects();
            }

            batch.ObjectIds.Add(location.ObjectId);
        }

        foreach (var (nodeId, batch) in byNode)
        {
            // A dead node's objects are gone with it.
            var node = nodes.Get(nodeId);
            if (!node.IsDead)
            {
                _ = node.Grain.FreeObjects(batch);
                Interlocked.Add(ref _freed, batch.ObjectIds.Count);
            }
        }
    }

    public ValueSerializer Serializer => serializer;

    /// <summary>Bytes of object values this client has pulled from silos' stores.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public async ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken) =>
        ((ValueBytes)(await FetchAsync(location, target: null, cancellationToken).ConfigureAwait(false))!).ToValue();

    public ValueTask<object?> FetchObjectAsync(ObjectLocation location, Type type, CancellationToken cancellationToken) =>
        FetchAsync(location, type, cancellationToken);

    private async ValueTask<object?> FetchAsync(ObjectLocation location, Type? target, CancellationToken cancellationToken)
    {
        var node = nodes.Get(location.NodeId, location.Address);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, node.Died);
        try
        {
            var (value, bytes) = await ObjectTransfer.FetchAsync(node.Grain, location, target, serializer, chunkBytes, linked.Token).ConfigureAwait(false);
            Interlocked.Add(ref _bytesFetched, bytes);
            return value;
        }
        catch (OperationCanceledException ex) when (node.Died.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The only copy was there: say so, and let the owner compute it again where it can (lineage).
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} was lost: node {location.NodeId}, which held it, died.", ex);
        }
    }
}
