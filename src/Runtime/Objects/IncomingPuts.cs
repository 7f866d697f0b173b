using System.Collections.Concurrent;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// Chunked puts a node is receiving: each lands in fresh memory, at the offsets its chunks name, and
/// reaches the store only when the commit finds every byte. A put whose sender never commits is dropped
/// after <see cref="Abandoned"/>, so a putter that died leaves nothing behind. Thread-safe.
/// </summary>
internal sealed class IncomingPuts
{
    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, Incoming> _puts = new(StringComparer.Ordinal);

    public void Open(PutObject put)
    {
        DropAbandoned();
        var sink = new BytesSink(put.Value?.Format ?? ValueFormat.Null, put.Value?.Serializer ?? string.Empty, put.StreamedSize);
        _puts[put.ObjectId] = new Incoming(put, sink);
    }

    public void Write(string objectId, long offset, in System.Buffers.ReadOnlySequence<byte> data, string nodeId)
    {
        var incoming = Find(objectId, nodeId);
        lock (incoming)
        {
            incoming.Sink.WriteAt(offset, data);
            incoming.Touched = Environment.TickCount64;
        }
    }

    /// <summary>The whole value and its put, or <see cref="ObjectLostException"/> when bytes are missing.</summary>
    public (PutObject Put, ValueBytes Bytes) Take(string objectId, string nodeId)
    {
        var incoming = Find(objectId, nodeId);
        _puts.TryRemove(objectId, out _);
        lock (incoming)
        {
            if (!incoming.Sink.IsComplete)
            {
                throw new ObjectLostException(objectId, $"Object {objectId} did not arrive whole at node {nodeId}: {incoming.Sink.Received} of {incoming.Sink.Length} bytes.");
            }

            return (incoming.Put, incoming.Sink.Bytes());
        }
    }

    private Incoming Find(string objectId, string nodeId) =>
        _puts.TryGetValue(objectId, out var incoming)
            ? incoming
            : throw new ObjectLostException(objectId, $"No put of object {objectId} is open on node {nodeId}: it was never opened, or it was dropped.");

    private void DropAbandoned()
    {
        var now = Environment.TickCount64;
        foreach (var (id, incoming) in _puts)
        {
            if (now - incoming.Touched > Abandoned.TotalMilliseconds)
            {
                _puts.TryRemove(id, out _);
            }
        }
    }

    private sealed class Incoming(PutObject put, BytesSink sink)
    {
        public PutObject Put { get; } = put;

        public BytesSink Sink { get; } = sink;

        public long Touched { get; set; } = Environment.TickCount64;
    }
}
