using System.Buffers;
using System.Runtime.ExceptionServices;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>
/// A value this side is receiving in chunks. Its destination comes with it (a put: the holder knows the size
/// from the PutObject) or from the stream's header chunk (a get: the fetcher learns format and size there).
/// Chunks are written by the connection's read loop; whoever waits for the value reads it after the message
/// that ends the stream, which the same loop dispatches after the last chunk. Thread-safe.
/// </summary>
internal sealed class IncomingObjectStream
{
    private readonly Func<Value, long, ObjectSink>? _createSink;
    private ObjectSink? _sink;
    private Exception? _error;

    public IncomingObjectStream(ulong id, ObjectSink? sink, Func<Value, long, ObjectSink>? createSink, object? state)
    {
        Id = id;
        _sink = sink;
        _createSink = createSink;
        State = state;
    }

    public ulong Id { get; }

    /// <summary>What the opener needs to finish the stream (a put's object and job ids).</summary>
    public object? State { get; }

    public long Received => Volatile.Read(ref _sink)?.Received ?? 0;

    /// <summary>The header chunk: makes the destination from the value's format, serializer and size.</summary>
    public void Start(Value header, long size)
    {
        if (_sink is not null)
        {
            throw new InvalidDataException($"object stream {Id} got a second header.");
        }

        Volatile.Write(ref _sink, (_createSink ?? throw new InvalidDataException($"object stream {Id} does not take a header."))(header, size));
    }

    public void Write(long offset, in ReadOnlySequence<byte> data)
    {
        var sink = Volatile.Read(ref _sink) ?? throw new InvalidDataException($"object stream {Id} got data before its header, or after it failed.");
        if (offset != sink.Received)
        {
            throw new InvalidDataException($"object stream {Id} got a chunk at offset {offset}, expected {sink.Received}.");
        }

        sink.Write(data);
    }

    /// <summary>Records why the stream failed and lets go of its destination, so a dropped value's memory goes at once.</summary>
    public void Fail(Exception error)
    {
        Interlocked.CompareExchange(ref _error, error, null);
        Volatile.Write(ref _sink, null);
    }

    /// <summary>The filled destination once the stream has ended; throws why it failed or what is missing.</summary>
    public ObjectSink Complete(long expectedSize)
    {
        if (Volatile.Read(ref _error) is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        var sink = Volatile.Read(ref _sink);
        if (sink is null || !sink.IsComplete || sink.Length != expectedSize)
        {
            throw new InvalidDataException($"object stream {Id} ended with {sink?.Received ?? 0} of {expectedSize} bytes.");
        }

        return sink;
    }
}
