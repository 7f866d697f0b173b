using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// Gets and puts of stored objects over a connection, both sides, for clients, silos and worker processes.
/// A value larger than one chunk moves as a stream of chunks (<see cref="ObjectStreams"/>); a fetch decodes
/// it as it lands (a raw array straight into the final array). Every failure ends the call with a typed
/// exception and leaves nothing half-received anywhere. Thread-safe.
/// </summary>
internal static class ObjectTransfer
{
    /// <summary>
    /// Pulls an object from the silo at the other end of <paramref name="connection"/> as
    /// <paramref name="target"/> (as <see cref="ValueBytes"/> when null). Returns the value and its size in bytes.
    /// </summary>
    public static async Task<(object? Value, long Bytes)> FetchAsync(Connection connection, ObjectLocation location, Type? target, ValueSerializer serializer, CancellationToken cancellationToken)
    {
        var streams = connection.Streams;
        var stream = streams.Receive((header, size) => serializer.CreateSink(header, size, target));
        var complete = false;
        try
        {
            var request = new GetObject { ObjectId = location.ObjectId, StreamId = stream.Id, ChunkBytes = streams.ChunkBytes };
            var payload = (await connection.RequestAsync(new Envelope { GetObject = request }, cancellationToken).ConfigureAwait(false)).ObjectPayload;
            if (!payload.Streamed)
            {
                // Small enough for one message, or a holder from before chunked transfer.
                complete = true;
                var value = target is null ? ValueBytes.From(payload.Value) : serializer.Deserialize(payload.Value, target);
                return (value, payload.Value.Data.Length);
            }

            var sink = stream.Complete(payload.Size);
            complete = true;
            return (serializer.Finish(sink, target), payload.Size);
        }
        catch (ObjectLostException ex) when (ex.ObjectId.Length == 0)
        {
            // The holder's error reply names the object in its message only.
            throw new ObjectLostException(location.ObjectId, ex.Message, ex);
        }
        catch (Exception ex) when (ex is ConnectionClosedException or IOException or InvalidDataException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} could not be fetched from node {location.NodeId} ({location.Address}): {ex.Message}", ex);
        }
        finally
        {
            streams.Forget(stream, complete);
        }
    }

    /// <summary>
    /// Stores <paramref name="value"/> in the silo at the other end of <paramref name="connection"/>: opens a
    /// stream with PutObject, sends the chunks, and commits. Throws <see cref="ObjectStoreFullException"/>
    /// when the silo cannot keep it.
    /// </summary>
    public static async Task PutAsync(Connection connection, string objectId, string jobId, ValueBytes value, CancellationToken cancellationToken)
    {
        if (value.Length == 0)
        {
            await connection.RequestAsync(new Envelope { PutObject = new PutObject { ObjectId = objectId, JobId = jobId, Value = value.ToValue() } }, cancellationToken).ConfigureAwait(false);
            return;
        }

        var opened = await connection.RequestAsync(new Envelope { PutObject = new PutObject { ObjectId = objectId, JobId = jobId, Value = value.Header(), StreamedSize = value.Length } }, cancellationToken).ConfigureAwait(false);
        if (opened.BodyCase != Envelope.BodyOneofCase.ObjectStream)
        {
            throw new GranaryException($"{connection.Peer} did not open a stream for object {objectId} (it answered {opened.BodyCase}); it predates chunked object transfer.");
        }

        var stream = opened.ObjectStream;
        await connection.Streams.SendAsync(stream.StreamId, value, stream.ChunkBytes, header: null, cancellationToken).ConfigureAwait(false);
        await connection.RequestAsync(new Envelope { CommitObject = new CommitObject { StreamId = stream.StreamId } }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The holder's side of a GetObject: a value that fits one chunk goes back in the reply; a larger one
    /// streams first (when the asker asked for a stream) and the reply then carries only its header.
    /// </summary>
    public static async Task<Envelope?> ServeAsync(Connection connection, GetObject request, ValueBytes value, CancellationToken cancellationToken)
    {
        var chunkBytes = Math.Min(request.ChunkBytes > 0 ? request.ChunkBytes : int.MaxValue, connection.Streams.ChunkBytes);
        if (request.StreamId == 0 || value.Length <= chunkBytes)
        {
            var inline = new Envelope { ObjectPayload = new ObjectPayload { ObjectId = request.ObjectId, Value = value.ToValue() } };
            if (request.StreamId == 0 || inline.CalculateSize() <= chunkBytes)
            {
                return inline;
            }
        }

        await connection.Streams.SendAsync(request.StreamId, value, chunkBytes, value.Header(), cancellationToken).ConfigureAwait(false);
        return new Envelope { ObjectPayload = new ObjectPayload { ObjectId = request.ObjectId, Value = value.Header(), Streamed = true, Size = value.Length } };
    }

    /// <summary>
    /// The holder's side of a streamed PutObject: opens a stream into fresh memory and tells the putter its
    /// id. Nothing reaches the store until the commit finds every byte there.
    /// </summary>
    public static Envelope Accept(Connection connection, PutObject request)
    {
        var sink = new BytesSink(request.Value?.Format ?? ValueFormat.Null, request.Value?.Serializer ?? string.Empty, request.StreamedSize);
        var stream = connection.Streams.Receive(sink, request);
        return new Envelope { ObjectStream = new ObjectStream { StreamId = stream.Id, ChunkBytes = connection.Streams.ChunkBytes } };
    }

    /// <summary>
    /// The end of a streamed put: stores the value once all of it has arrived. Runs off the read loop, since
    /// a store that spills writes to disk.
    /// </summary>
    public static Task<Envelope?> CommitAsync(Connection connection, CommitObject request, ObjectStore store, string nodeId)
    {
        if (!connection.Streams.TryTake(request.StreamId, out var stream) || stream.State is not PutObject put)
        {
            return Task.FromResult<Envelope?>(Lost(string.Empty, $"object stream {request.StreamId} is not open on node {nodeId}: it failed (the sender was told to stop) or never opened.", nodeId));
        }

        ObjectSink sink;
        try
        {
            sink = stream.Complete(put.StreamedSize);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ConnectionClosedException)
        {
            return Task.FromResult<Envelope?>(Lost(put.ObjectId, $"Object {put.ObjectId} did not arrive whole at node {nodeId}: {ex.Message}", nodeId));
        }

        var bytes = ((BytesSink)sink).Bytes();
        return Task.Run(() =>
        {
            store.Put(put.ObjectId, put.JobId, bytes);
            return (Envelope?)null;
        });
    }

    /// <summary>The error reply for an object that is not (or no longer) where it was asked for.</summary>
    public static Envelope Lost(string objectId, string message, string nodeId) =>
        new() { Error = new ErrorInfo { Kind = ErrorKind.ObjectLost, Type = typeof(ObjectLostException).FullName, Message = message, NodeId = nodeId } };
}
