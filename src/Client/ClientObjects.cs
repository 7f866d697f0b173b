using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>The client as owner of its objects: decodes values and pulls large ones from the silo that holds them. Thread-safe.</summary>
internal sealed class ClientObjects(ValueSerializer serializer, ConnectionPool pool) : IObjectOwner
{
    private long _bytesFetched;

    public ValueSerializer Serializer => serializer;

    /// <summary>Bytes of object values this client has pulled from silos' stores.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public async ValueTask<Value> FetchAsync(ObjectLocation location, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await pool.GetAsync(location.Address, cancellationToken).ConfigureAwait(false);
            var reply = await connection.RequestAsync(new Envelope { GetObject = new GetObject { ObjectId = location.ObjectId } }, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _bytesFetched, reply.ObjectPayload.Value.Data.Length);
            return reply.ObjectPayload.Value;
        }
        catch (Exception ex) when (ex is ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} was on node {location.NodeId} ({location.Address}), which cannot be reached: {ex.Message}", ex);
        }
    }
}
