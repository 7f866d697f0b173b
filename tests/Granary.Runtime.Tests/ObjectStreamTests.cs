using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Runtime.Tests;

/// <summary>
/// Chunked object transfer over two connections joined by in-memory pipes: values many times the frame limit
/// move both ways byte-exact, and every failure (a holder that dies, a stream nobody wants, a store that is
/// full, a put cut short) ends in a typed exception with nothing half-received left behind.
/// </summary>
public sealed class ObjectStreamTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Frames of at most 4 KiB: every value below is hundreds of chunks.
    private static readonly TransportOptions Small = new() { MaxFrameBytes = 4096 };

    private readonly ValueSerializer _serializer = new();
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "granary-stream-test-" + Guid.NewGuid().ToString("N"));
    private readonly List<Connection> _connections = [];

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Close("test over");
        }

        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    [Fact]
    public async Task A_value_hundreds_of_frames_long_is_put_and_fetched_byte_exact()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, server) = Pair(new Holder(store), Small, Small);
        var bytes = RandomBytes(1 << 20);

        await ObjectTransfer.PutAsync(client, "o-1", "job", _serializer.SerializeBytes(bytes, typeof(byte[])), CancellationToken.None).WaitAsync(Patience);

        Assert.True(store.TryGet("o-1", out var stored));
        Assert.Equal(bytes, stored.Data.ToByteArray());
        var (fetched, size) = await ObjectTransfer.FetchAsync(client, Location("o-1"), typeof(byte[]), _serializer, CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(bytes, Assert.IsType<byte[]>(fetched));
        Assert.Equal(bytes.Length, size);
        Assert.Equal(0, client.Streams.IncomingCount);
        Assert.Equal(0, server.Streams.IncomingCount);
    }

    [Fact]
    public async Task Raw_arrays_decode_straight_into_the_requested_array()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, _) = Pair(new Holder(store), Small, Small);
        var doubles = Enumerable.Range(0, 100_000).Select(i => i * 0.5).ToArray();
        var ints = Enumerable.Range(-50_000, 100_000).ToArray();
        await ObjectTransfer.PutAsync(client, "d", "job", _serializer.SerializeBytes(doubles, typeof(double[])), CancellationToken.None).WaitAsync(Patience);
        await ObjectTransfer.PutAsync(client, "i", "job", _serializer.SerializeBytes(ints, typeof(int[])), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(doubles, (await ObjectTransfer.FetchAsync(client, Location("d"), typeof(double[]), _serializer, CancellationToken.None)).Value);
        Assert.Equal(ints, (await ObjectTransfer.FetchAsync(client, Location("i"), typeof(int[]), _serializer, CancellationToken.None)).Value);

        // Asked for as object or an interface, the element type carried in the header picks the array type.
        Assert.Equal(doubles, (await ObjectTransfer.FetchAsync(client, Location("d"), typeof(object), _serializer, CancellationToken.None)).Value);
        Assert.Equal(ints, (await ObjectTransfer.FetchAsync(client, Location("i"), typeof(IReadOnlyList<int>), _serializer, CancellationToken.None)).Value);

        // Without a target the bytes come back as they were stored.
        var raw = Assert.IsType<ValueBytes>((await ObjectTransfer.FetchAsync(client, Location("d"), null, _serializer, CancellationToken.None)).Value);
        Assert.Equal("System.Double", raw.Serializer);
        Assert.Equal(doubles, _serializer.Deserialize(raw, typeof(double[])));
    }

    [Fact]
    public async Task Values_that_are_not_raw_arrays_stream_too()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, _) = Pair(new Holder(store), Small, Small);
        var words = Enumerable.Range(0, 20_000).Select(i => "word" + i).ToList();
        await ObjectTransfer.PutAsync(client, "w", "job", _serializer.SerializeBytes(words, typeof(List<string>)), CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(words, (await ObjectTransfer.FetchAsync(client, Location("w"), typeof(List<string>), _serializer, CancellationToken.None)).Value);
    }

    [Fact]
    public async Task A_value_held_in_several_segments_streams_without_crossing_them()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, _) = Pair(new Holder(store), Small, Small);
        var bytes = RandomBytes(100_000);

        // Segments of odd sizes, so chunk boundaries and segment boundaries never line up.
        var value = new ValueBytes(ValueFormat.Raw, "System.Byte", [bytes.AsMemory(0, 33_333), bytes.AsMemory(33_333, 1), bytes.AsMemory(33_334)]);
        await ObjectTransfer.PutAsync(client, "s", "job", value, CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(bytes, (await ObjectTransfer.FetchAsync(client, Location("s"), typeof(byte[]), _serializer, CancellationToken.None)).Value);

        // A sink with small segments reassembles across them; the decode reads them in order.
        var sink = new BytesSink(ValueFormat.Raw, "System.Byte", bytes.Length, segmentBytes: 4096);
        for (var offset = 0; offset < bytes.Length; offset += 1000)
        {
            sink.Write(bytes.AsSpan(offset, Math.Min(1000, bytes.Length - offset)));
        }

        Assert.Equal(25, sink.Bytes().Segments.Count);
        Assert.Equal(bytes, _serializer.Deserialize(sink.Bytes(), typeof(byte[])));
    }

    [Fact]
    public async Task A_holder_that_dies_mid_stream_fails_the_fetch_with_ObjectLostException()
    {
        var (client, _) = Pair(new DyingHolder(), Small, Small);
        var error = await Assert.ThrowsAsync<ObjectLostException>(() => ObjectTransfer.FetchAsync(client, Location("gone"), typeof(byte[]), _serializer, CancellationToken.None).WaitAsync(Patience));
        Assert.Equal("gone", error.ObjectId);
        Assert.Contains("peer closed the connection", error.Message);
        Assert.Equal(0, client.Streams.IncomingCount);
    }

    [Fact]
    public async Task A_missing_object_fails_the_fetch_with_ObjectLostException_naming_it()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, _) = Pair(new Holder(store), Small, Small);
        var error = await Assert.ThrowsAsync<ObjectLostException>(() => ObjectTransfer.FetchAsync(client, Location("never-put"), typeof(byte[]), _serializer, CancellationToken.None).WaitAsync(Patience));
        Assert.Equal("never-put", error.ObjectId);
        Assert.Equal(0, client.Streams.IncomingCount);
    }

    [Fact]
    public async Task A_sender_stops_when_the_receiver_does_not_want_the_stream()
    {
        var narrow = new TransportOptions { MaxFrameBytes = 4096, ObjectWindowBytes = 8192 };
        using var store = new ObjectStore(spillDirectory: _spill);
        var (_, server) = Pair(new Holder(store), Small, narrow);

        // Nobody on the other side opened stream 12345: its first chunk is answered with an abort, not silence,
        // and the sender stops there. The value is 16,000 chunks with at most 8 of them queued at a time, so the
        // abort arrives long before the sender could have sent it all.
        var value = ValueBytes.From(new Value { Format = ValueFormat.Raw, Data = ByteString.CopyFrom(RandomBytes(16 << 20)) });
        var error = await Assert.ThrowsAsync<IOException>(() => server.Streams.SendAsync(12345, value, 1000, header: null, CancellationToken.None).WaitAsync(Patience));
        Assert.Contains("does not know the stream", error.Message);
    }

    [Fact]
    public async Task A_store_that_cannot_keep_the_value_fails_the_put_with_ObjectStoreFullException()
    {
        // A file where the spill folder should be, and room for nothing in memory: the put cannot be kept.
        File.WriteAllText(_spill, "not a directory");
        try
        {
            using var store = new ObjectStore(capacityBytes: 1000, _spill);
            var (client, server) = Pair(new Holder(store), Small, Small);
            var value = _serializer.SerializeBytes(RandomBytes(50_000), typeof(byte[]));
            var error = await Assert.ThrowsAsync<ObjectStoreFullException>(() => ObjectTransfer.PutAsync(client, "big", "job", value, CancellationToken.None).WaitAsync(Patience));
            Assert.Contains("SpillDirectory", error.Message);
            Assert.Equal(0, store.Count);
            Assert.Equal(0, server.Streams.IncomingCount);
        }
        finally
        {
            File.Delete(_spill);
        }
    }

    [Fact]
    public async Task A_put_cut_short_stores_nothing_and_its_commit_fails()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, server) = Pair(new Holder(store), Small, Small);
        var opened = await client.RequestAsync(new Envelope { PutObject = new PutObject { ObjectId = "half", JobId = "job", Value = new Value { Format = ValueFormat.Raw, Serializer = "System.Byte" }, StreamedSize = 10_000 } });
        var id = opened.ObjectStream.StreamId;
        client.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Offset = 0, Data = ByteString.CopyFrom(RandomBytes(3000)) } });

        var error = await Assert.ThrowsAsync<ObjectLostException>(() => client.RequestAsync(new Envelope { CommitObject = new CommitObject { StreamId = id } }).WaitAsync(Patience));
        Assert.Contains("3000 of 10000", error.Message);
        Assert.Equal(0, store.Count);
        Assert.Equal(0, server.Streams.IncomingCount);
    }

    [Fact]
    public async Task A_put_whose_connection_closes_mid_stream_leaves_nothing_behind()
    {
        using var store = new ObjectStore(spillDirectory: _spill);
        var (client, server) = Pair(new Holder(store), Small, Small);
        var opened = await client.RequestAsync(new Envelope { PutObject = new PutObject { ObjectId = "cut", JobId = "job", Value = new Value { Format = ValueFormat.Raw, Serializer = "System.Byte" }, StreamedSize = 10_000 } });
        client.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = opened.ObjectStream.StreamId, Offset = 0, Data = ByteString.CopyFrom(RandomBytes(3000)) } });
        await WaitUntilAsync(() => server.Streams.IncomingCount == 1);

        client.Close("the putter died");
        await server.Closed.WaitAsync(Patience);
        await WaitUntilAsync(() => server.Streams.IncomingCount == 0);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Other_messages_go_out_between_the_chunks_of_a_stream()
    {
        var narrow = new TransportOptions { MaxFrameBytes = 4096, ObjectWindowBytes = 64 * 1024 };
        var observer = new Observer();
        var (client, server) = Pair(new NoHandler(), Small, narrow, observer);
        var bytes = RandomBytes(16 << 20);
        var stream = client.Streams.Receive((header, size) => new BytesSink(header.Format, header.Serializer, size));
        observer.Watch(stream);

        var sending = server.Streams.SendAsync(stream.Id, ValueBytes.From(new Value { Format = ValueFormat.Raw, Data = UnsafeByteOperations.UnsafeWrap(bytes) }), 4000, new Value { Format = ValueFormat.Raw }, CancellationToken.None);
        await WaitUntilAsync(() => stream.Received > 0);

        // Sent after the stream began: it waits behind at most the window's worth of chunks, not the 16 MiB.
        server.Send(new Envelope { Heartbeat = new Heartbeat { NodeId = "small" } });
        var receivedWhenSeen = await observer.Seen.Task.WaitAsync(Patience);
        Assert.InRange(receivedWhenSeen, 1, bytes.Length - 1);

        await sending.WaitAsync(Patience);
        await WaitUntilAsync(() => stream.Received == bytes.Length);
        Assert.Equal(bytes, ((BytesSink)stream.Complete(bytes.Length)).Bytes().ToValue().Data.ToByteArray());
    }

    [Fact]
    public void The_chunk_shortcut_reads_what_the_generic_parser_reads()
    {
        var data = RandomBytes(10_000);
        var chunk = new Envelope { ObjectChunk = new ObjectChunk { StreamId = 7, Offset = 123_456_789_012, Data = ByteString.CopyFrom(data) } };

        // Split into 3-byte segments, so every varint and the data straddle segment boundaries.
        var payload = Segmented(chunk.ToByteArray(), 3);
        Assert.True(ObjectFrames.IsObjectFrame(payload));
        Assert.True(ObjectFrames.TryReadChunk(payload, out var id, out var offset, out var read));
        Assert.Equal(7UL, id);
        Assert.Equal(123_456_789_012, offset);
        Assert.Equal(data, read.ToArray());

        // Shapes the shortcut leaves to the generic parser: a header, an abort; and frames that are not chunks.
        var header = new Envelope { ObjectChunk = new ObjectChunk { StreamId = 7, Header = new Value { Format = ValueFormat.Raw }, Size = 10 } };
        Assert.True(ObjectFrames.IsObjectFrame(Segmented(header.ToByteArray(), 5)));
        Assert.False(ObjectFrames.TryReadChunk(Segmented(header.ToByteArray(), 5), out _, out _, out _));
        Assert.False(ObjectFrames.TryReadChunk(Segmented(new Envelope { ObjectChunk = new ObjectChunk { StreamId = 7, Abort = true } }.ToByteArray(), 5), out _, out _, out _));
        Assert.True(ObjectFrames.IsObjectFrame(Segmented(new Envelope { ObjectStreamAbort = new ObjectStreamAbort { StreamId = 7, Reason = "r" } }.ToByteArray(), 2)));
        Assert.False(ObjectFrames.IsObjectFrame(Segmented(new Envelope { Heartbeat = new Heartbeat { NodeId = "n" } }.ToByteArray(), 2)));
        Assert.False(ObjectFrames.IsObjectFrame(Segmented(new Envelope { CallId = 3, ObjectChunk = new ObjectChunk { StreamId = 7 } }.ToByteArray(), 2)));
    }

    private static ObjectLocation Location(string id) => new() { ObjectId = id, NodeId = "holder", Address = "in-memory" };

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var next = new Segment(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
            if (last is null)
            {
                first = next;
            }
            else
            {
                last.Link(next);
            }

            last = next;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }

    private (Connection Client, Connection Server) Pair(IMessageHandler serverHandler, TransportOptions clientOptions, TransportOptions serverOptions, IMessageHandler? clientHandler = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var client = new Connection(new DuplexPipe(toClient.Reader, toServer.Writer), "holder", clientHandler ?? new NoHandler(), NullLogger.Instance, clientOptions);
        var server = new Connection(new DuplexPipe(toServer.Reader, toClient.Writer), "fetcher", serverHandler, NullLogger.Instance, serverOptions);
        _ = client.RunAsync();
        _ = server.RunAsync();
        _connections.Add(client);
        _connections.Add(server);
        return (client, server);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Segment next) => Next = next;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>The holder side as a silo runs it: gets served from the store, puts streamed into it.</summary>
    private sealed class Holder(ObjectStore store) : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => message.BodyCase switch
        {
            Envelope.BodyOneofCase.GetObject => store.TryGetBytes(message.GetObject.ObjectId, out var value)
                ? new ValueTask<Envelope?>(ObjectTransfer.ServeAsync(connection, message.GetObject, value, CancellationToken.None))
                : new ValueTask<Envelope?>(ObjectTransfer.Lost(message.GetObject.ObjectId, $"Object {message.GetObject.ObjectId} is not here.", "holder")),
            Envelope.BodyOneofCase.PutObject => new ValueTask<Envelope?>(ObjectTransfer.Accept(connection, message.PutObject)),
            Envelope.BodyOneofCase.CommitObject => new ValueTask<Envelope?>(ObjectTransfer.CommitAsync(connection, message.CommitObject, store, "holder")),
            _ => new ValueTask<Envelope?>((Envelope?)null),
        };

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    /// <summary>A holder that sends the header and one chunk of a get, then its process "dies".</summary>
    private sealed class DyingHolder : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message)
        {
            var id = message.GetObject.StreamId;
            connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Header = new Value { Format = ValueFormat.Raw, Serializer = "System.Byte" }, Size = 100_000 } });
            connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Offset = 0, Data = ByteString.CopyFrom(new byte[1000]) } });
            _ = Task.Run(async () =>
            {
                await Task.Delay(50);
                connection.Close("the holder died mid-stream");
            });
            return new ValueTask<Envelope?>(new TaskCompletionSource<Envelope?>().Task);
        }

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    /// <summary>Notes how far a stream had come when the first other message arrived.</summary>
    private sealed class Observer : IMessageHandler
    {
        private IncomingObjectStream? _stream;

        public TaskCompletionSource<long> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Watch(IncomingObjectStream stream) => _stream = stream;

        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message)
        {
            Seen.TrySetResult(_stream!.Received);
            return new((Envelope?)null);
        }

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    private sealed class NoHandler : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => new((Envelope?)null);

        public void OnClosed(Connection connection, string reason)
        {
        }
    }
}
