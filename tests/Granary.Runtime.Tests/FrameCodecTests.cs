using System.Buffers;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

public sealed class FrameCodecTests
{
    [Fact]
    public void Frames_round_trip_one_after_another()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, new Envelope { CallId = 1, GetClusterView = new GetClusterView() });
        FrameCodec.Write(writer, new Envelope { CallId = 2, Heartbeat = new Heartbeat { NodeId = "n" } });
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.True(FrameCodec.TryRead(ref buffer, 1024, out var first));
        Assert.Equal(1ul, Envelope.Parser.ParseFrom(first).CallId);
        Assert.True(FrameCodec.TryRead(ref buffer, 1024, out var second));
        Assert.Equal("n", Envelope.Parser.ParseFrom(second).Heartbeat.NodeId);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void A_partial_frame_waits_for_more_bytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, new Envelope { CallId = 7, Heartbeat = new Heartbeat { NodeId = "abc" } });
        var partial = new ReadOnlySequence<byte>(writer.WrittenMemory[..^1]);
        Assert.False(FrameCodec.TryRead(ref partial, 1024, out _));
        Assert.Equal(writer.WrittenCount - 1, partial.Length);
    }

    [Fact]
    public void A_length_over_the_limit_is_refused()
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, 5000);
        var buffer = new ReadOnlySequence<byte>(bytes);
        var error = Assert.Throws<FrameTooLargeException>(() => FrameCodec.TryRead(ref buffer, 4096, out _));
        Assert.Contains("4096", error.Message);
    }
}
