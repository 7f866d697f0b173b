using Orleans.Serialization.Buffers;
using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// Gets and puts of stored objects through the holder's node grain, for clients, silos and worker
/// processes. A value larger than one chunk moves as chunk calls, a few in flight at once so the
/// round trips overlap; a fetch decodes it as it lands (a raw array straight into the final array). Every
/// failure ends the call with a typed exception and leaves nothing half-stored anywhere. Thread-safe.
/// </summary>
internal static class ObjectTransfer
{
    /// <summary>Chunk calls in flight per transfer: enough to hide the round trip behind the bytes.</summary>
    public const int Window = 4;

    /// <summary>
    /// Pulls an object from <paramref name="holder"/> as <paramref name="target"/> (as
    /// <see cref="ValueBytes"/> when null). Returns the value and its size in bytes.
    /// </summary>
    public static async Task<(object? Value, long Bytes)> FetchAsync(INodeGrain holder, ObjectLocation location, Type? target, ValueSerializer serializer, int chunkBytes, CancellationToken cancellationToken)
    {
        try
        {
            var payload = await holder.GetObject(new GetObject { ObjectId = location.ObjectId, ChunkBytes = chunkBytes }, cancellationToken).ConfigureAwait(false);
            if (!payload.Streamed)
            {
                var value = target is null ? ValueBytes.From(payload.Value) : serializer.Deserialize(payload.Value, target);
                return (value, payload.Value.Data.Length);
            }

            var sink = serializer.CreateSink(payload.Value, payload.Size, target);
            var pending = new Queue<Task<PooledBuffer>>();
            long next = 0;
            void Ask()
            {
                var count = (int)Math.Min(chunkBytes, payload.Size - next);
                pending.Enqueue(holder.ReadObjectChunk(location.ObjectId, next, count, cancellationToken));
                next += count;
            }

            while (next < payload.Size && pending.Count < Window)
            {
                Ask();
            }

            while (pending.Count > 0)
            {
                var chunk = await pending.Dequeue().ConfigureAwait(false);
                try
                {
                    sink.Write(chunk.AsReadOnlySequence());
                }
                finally
                {
                    chunk.Reset();
                }

                if (next < payload.Size)
                {
                    Ask();
                }
            }

            if (!sink.IsComplete)
            {
                throw new InvalidDataException($"received {sink.Received} of {sink.Length} bytes");
            }

            return (serializer.Finish(sink, target), payload.Size);
        }
        catch (ObjectLostException ex) when (ex.ObjectId.Length == 0)
        {
            // The holder's error names the object in its message only.
            throw new ObjectLostException(location.ObjectId, ex.Message, ex);
        }
        catch (Exception ex) when (ex is not ObjectLostException and not OperationCanceledException and not ValueSerializationException and not OutOfMemoryException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} could not be fetched from node {location.NodeId} ({location.Address}): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Stores <paramref name="value"/> in <paramref name="holder"/>'s store: whole when it fits one chunk,
    /// else a put opened with its size, the chunks, and a commit. Throws <see cref="ObjectStoreFullException"/>
    /// when the node cannot keep it.
    /// </summary>
    public static async Task PutAsync(INodeGrain holder, string objectId, string jobId, ValueBytes value, int chunkBytes, CancellationToken cancellationToken)
    {
        if (value.Length <= chunkBytes)
        {
            await holder.PutObject(new PutObject { ObjectId = objectId, JobId = jobId, Value = value.ToValue() }, cancellationToken).ConfigureAwait(false);
            return;
        }

        await holder.PutObject(new PutObject { ObjectId = objectId, JobId = jobId, Value = value.Header(), StreamedSize = value.Length }, cancellationToken).ConfigureAwait(false);
        var pending = new Queue<Task>();
        for (long offset = 0; offset < value.Length;)
        {
            var chunk = value.Slice(offset, (int)Math.Min(chunkBytes, value.Length - offset));
            pending.Enqueue(holder.WriteObjectChunk(objectId, offset, Pooled(value, offset, chunk.Length), cancellationToken));
            offset += chunk.Length;
            if (pending.Count >= Window)
            {
                await pending.Dequeue().ConfigureAwait(false);
            }
        }

        while (pending.Count > 0)
        {
            await pending.Dequeue().ConfigureAwait(false);
        }

        await holder.CommitObject(objectId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="count"/> bytes of <paramref name="value"/> from <paramref name="offset"/>, copied into
    /// pooled memory for one chunk call; Orleans returns it to the pool once it has sent it.
    /// </summary>
    public static PooledBuffer Pooled(ValueBytes value, long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > value.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + count} are outside the {value.Length}-byte value");
        }

        var buffer = new PooledBuffer();
        for (var done = 0; done < count;)
        {
            var piece = value.Slice(offset + done, count - done);
            buffer.Write(piece.Span);
            done += piece.Length;
        }

        return buffer;
    }

    /// <summary>
    /// The holder's side of a GetObject: a value that fits one chunk goes back whole; a larger one only as
    /// its header and size, and the asker reads the chunks.
    /// </summary>
    public static ObjectPayload Serve(GetObject request, ValueBytes value, int chunkBytes)
    {
        var limit = Math.Min(request.ChunkBytes > 0 ? request.ChunkBytes : int.MaxValue, chunkBytes);
        return value.Length <= limit
            ? new ObjectPayload { ObjectId = request.ObjectId, Value = value.ToValue() }
            : new ObjectPayload { ObjectId = request.ObjectId, Value = value.Header(), Streamed = true, Size = value.Length };
    }
}
