using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>Length-prefixed framing: a 4-byte little-endian payload length, then one protobuf Envelope.</summary>
internal static class FrameCodec
{
    public const int HeaderSize = 4;

    public static void Write(IBufferWriter<byte> output, Envelope envelope) => Write(output, envelope, envelope.CalculateSize());

    public static void Write(IBufferWriter<byte> output, Envelope envelope, int size)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(HeaderSize), size);
        output.Advance(HeaderSize);
        envelope.WriteTo(output);
    }

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/> when there is one. A declared length
    /// that is negative or above <paramref name="maxFrameBytes"/> is a protocol violation.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > maxFrameBytes)
        {
            throw new FrameTooLargeException(length, maxFrameBytes);
        }

        if (buffer.Length < HeaderSize + length)
        {
            return false;
        }

        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(HeaderSize + length);
        return true;
    }
}
