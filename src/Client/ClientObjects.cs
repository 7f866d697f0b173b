using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
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
    private readonly ConnectionPool pool;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ObjectLocation> _released = new();
    private readonly Timer _flush;
    private long _bytesFetched;
    private long _freed;

    public ClientObjects(string jobId, ValueSerializer serializer, ConnectionPool pool)
    {
        OwnerId = jobId;
        Registry = new ObjectRegistry(this);
        this.serializer = serializer;
        this.pool = pool;
        serializer.Owner = this;
        _flush = new Timer(_ => Flush(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public string OwnerId { get; }

    public ObjectRegistry Registry { get; }

    /// <summary>Objects this client has told silos to free.</summary>
    public long Freed => Interlocked.Read(ref _freed);

    public void Release(ObjectLocation location) => _released.Enqueue(location);

    public async ValueTask DisposeAsync()
    {
        await _flush.DisposeAsync().ConfigureAwait(false);
        Flush();
    }

    /// <summary>Sends the queued frees, one message per silo, to the silos the client is connected to.</summary>
    private void Flush()
    {
        if (_released.IsEmpty)
        {
            return;
        }

        var byAddress = new Dictionary<string, FreeObjects>(StringComparer.Ordinal);
        while (_released.TryDequeue(out var location))
        {
            if (!byAddress.TryGetValue(location.Address, out var batch))
            {
                byAddress[location.Address] = batch = new FreeObjects();
            }

            batch.ObjectIds.Add(location.ObjectId);
        }

        foreach (var (address, batch) in byAddress)
        {
            // A silo we are no longer connected to has dropped the job's objects already, or is gone.
            if (pool.TryGetOpen(address) is { } connection)
            {
                connection.Send(new Envelope { FreeObjects = batch });
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
        try
        {
            var connection = await pool.GetAsync(location.Address, cancellationToken).ConfigureAwait(false);
            var (value, bytes) = await ObjectTransfer.FetchAsync(connection, location, target, serializer, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _bytesFetched, bytes);
            return value;
        }
        catch (Exception ex) when (ex is ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} was on node {location.NodeId} ({location.Address}), which cannot be reached: {ex.Message}", ex);
        }
    }
}
