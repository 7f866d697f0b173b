using System.Buffers;
using System.Collections.Concurrent;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>
/// The large values moving over one connection in chunks, both ways. The side that receives a stream's bytes
/// picks its id (from its own counter), so ids of the streams it receives never collide, and the ids of the
/// streams it sends are the peer's and never collide either. A sender keeps at most the window queued ahead
/// of the connection's write loop, so other traffic on the connection never waits behind more than that;
/// past the write loop, TCP's own flow control paces it to the receiver, whose read loop copies each chunk
/// to its place as it comes. The window is local on purpose: an end-to-end ack would tie every window's
/// worth of bytes to a round trip through both processes' thread pools, which on a busy machine cost more
/// than the transfer. A receiver answers only when it drops a stream (<see cref="ObjectStreamAbort"/>).
/// When the connection closes every stream fails at once: no sender waits for progress that cannot come,
/// and a half-received value is dropped. Thread-safe.
/// </summary>
internal sealed class ObjectStreams
{
    private readonly Connection _connection;
    private readonly TransportOptions _options;
    private readonly ConcurrentDictionary<ulong, IncomingObjectStream> _incoming = new();
    private readonly ConcurrentDictionary<ulong, OutgoingObjectStream> _outgoing = new();
    private long _nextId;
    private volatile string? _closedReason;

    public ObjectStreams(Connection connection, TransportOptions options)
    {
        _connection = connection;
        _options = options;
    }

    /// <summary>The largest chunk this side sends or accepts.</summary>
    public int ChunkBytes => _options.ChunkBytes;

    /// <summary>Streams being received now (for tests: a failed or finished stream leaves nothing behind).</summary>
    public int IncomingCount => _incoming.Count;

    /// <summary>Opens a stream whose destination is made from its header chunk (a get).</summary>
    public IncomingObjectStream Receive(Func<Value, long, ObjectSink> createSink) => Open(sink: null, createSink, state: null);

    /// <summary>Opens a stream into a destination of known size (a put); <paramref name="state"/> stays with it until it is taken.</summary>
    public IncomingObjectStream Receive(ObjectSink sink, object state) => Open(sink, createSink: null, state);

    /// <summary>Removes a finished stream and hands it over; false when it is unknown (never opened, or failed and dropped).</summary>
    public bool TryTake(ulong id, out IncomingObjectStream stream) => _incoming.TryRemove(id, out stream!);

    /// <summary>
    /// Drops a stream the caller no longer waits for. One that had not got all its bytes tells the sender to
    /// stop, so a cancelled fetch does not keep the holder streaming into the void.
    /// </summary>
    public void Forget(IncomingObjectStream stream, bool complete)
    {
        if (_incoming.TryRemove(stream.Id, out _) && !complete)
        {
            SendAbort(stream.Id, "the receiver stopped waiting for it");
        }
    }

    /// <summary>
    /// Sends <paramref name="value"/> as stream <paramref name="id"/> (picked by the receiver), each chunk
    /// pointing into the value's own memory: the only copy is the frame writer's into the socket buffer. A
    /// header first when the receiver learns the value's shape from the stream (a get). Returns once every
    /// chunk is queued; the receiver's answer (the get's reply, the put's commit) follows them in order.
    /// </summary>
    public async Task SendAsync(ulong id, ValueBytes value, int chunkBytes, Value? header, CancellationToken cancellationToken)
    {
        var stream = new OutgoingObjectStream();
        if (!_outgoing.TryAdd(id, stream))
        {
            throw new InvalidOperationException($"object stream {id} is already being sent on this connection.");
        }

        try
        {
            ThrowIfClosed();
            if (header is not null)
            {
                _connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Header = header, Size = value.Length } });
            }

            chunkBytes = Math.Clamp(chunkBytes, 1, ChunkBytes);
            long offset = 0;
            while (offset < value.Length)
            {
                var piece = value.Slice(offset, chunkBytes);
                await stream.WaitForWrittenAsync(offset + piece.Length - _options.ObjectWindowBytes, cancellationToken).ConfigureAwait(false);
                _connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(piece) } });
                offset += piece.Length;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Abort = true } });
            throw;
        }
        finally
        {
            _outgoing.TryRemove(id, out _);
        }
    }

    /// <summary>A plain data chunk, read straight off the socket buffer: copied once into its destination.</summary>
    public void OnChunk(ulong id, long offset, in ReadOnlySequence<byte> data)
    {
        if (!_incoming.TryGetValue(id, out var stream))
        {
            // Unknown (cancelled, failed, or never opened here): tell the sender to stop instead of sending on.
            SendAbort(id, "the receiver does not know the stream");
            return;
        }

        try
        {
            stream.Write(offset, data);
        }
        catch (Exception ex)
        {
            // Bad data fails this stream only; the read loop and the connection carry on.
            Drop(stream, ex);
        }
    }

    /// <summary>Chunk and abort messages the fast path left to the generic parser; false for any other message.</summary>
    public bool OnMessage(Envelope message)
    {
        switch (message.BodyCase)
        {
            case Envelope.BodyOneofCase.ObjectChunk:
                OnChunkMessage(message.ObjectChunk);
                return true;
            case Envelope.BodyOneofCase.ObjectStreamAbort:
                var abort = message.ObjectStreamAbort;
                if (_outgoing.TryGetValue(abort.StreamId, out var outgoing))
                {
                    outgoing.Fail(new IOException($"{_connection.Peer} dropped object stream {abort.StreamId}: {abort.Reason}"));
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>The write loop has put a chunk into the socket pipe: its stream may queue that much more.</summary>
    public void OnWritten(ObjectChunk chunk)
    {
        if (_outgoing.TryGetValue(chunk.StreamId, out var stream))
        {
            stream.OnWritten(chunk.Data.Length);
        }
    }

    /// <summary>The connection closed: every stream fails with the reason.</summary>
    public void Abort(string reason)
    {
        _closedReason = reason;
        foreach (var id in _incoming.Keys)
        {
            if (_incoming.TryRemove(id, out var stream))
            {
                stream.Fail(new ConnectionClosedException(_connection.Peer, reason));
            }
        }

        foreach (var stream in _outgoing.Values)
        {
            stream.Fail(new ConnectionClosedException(_connection.Peer, reason));
        }
    }

    private IncomingObjectStream Open(ObjectSink? sink, Func<Value, long, ObjectSink>? createSink, object? state)
    {
        var stream = new IncomingObjectStream((ulong)Interlocked.Increment(ref _nextId), sink, createSink, state);
        _incoming[stream.Id] = stream;

        // Checked after adding: a close that began earlier has then either seen this stream or set the reason.
        if (_closedReason is not null)
        {
            _incoming.TryRemove(stream.Id, out _);
            ThrowIfClosed();
        }

        return stream;
    }

    private void OnChunkMessage(ObjectChunk chunk)
    {
        if (!_incoming.TryGetValue(chunk.StreamId, out var stream))
        {
            if (!chunk.Abort)
            {
                SendAbort(chunk.StreamId, "the receiver does not know the stream");
            }

            return;
        }

        try
        {
            if (chunk.Abort)
            {
                Drop(stream, new IOException($"{_connection.Peer} stopped sending object stream {chunk.StreamId}."), tellSender: false);
                return;
            }

            if (chunk.Header is not null)
            {
                stream.Start(chunk.Header, chunk.Size);
            }

            if (!chunk.Data.IsEmpty)
            {
                stream.Write(chunk.Offset, new ReadOnlySequence<byte>(chunk.Data.Memory));
            }
        }
        catch (Exception ex)
        {
            // As in OnChunk: bad data or a destination that cannot be made (a wrong type, no memory) fails this stream only.
            Drop(stream, ex);
        }
    }

    /// <summary>
    /// Fails a stream and forgets it, so its buffer goes; the waiter sees the error when the stream's end
    /// arrives (a put's commit finds no stream and fails).
    /// </summary>
    private void Drop(IncomingObjectStream stream, Exception error, bool tellSender = true)
    {
        stream.Fail(error);
        _incoming.TryRemove(stream.Id, out _);
        if (tellSender)
        {
            SendAbort(stream.Id, error.Message);
        }
    }

    private void SendAbort(ulong id, string reason) =>
        _connection.Send(new Envelope { ObjectStreamAbort = new ObjectStreamAbort { StreamId = id, Reason = reason } });

    private void ThrowIfClosed()
    {
        if (_closedReason is { } reason)
        {
            throw new ConnectionClosedException(_connection.Peer, reason);
        }
    }
}
