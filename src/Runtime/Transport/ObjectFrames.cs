using System.Buffers;
using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>
/// Reads object chunk frames without the generic protobuf parser, which would copy each chunk's data into
/// a fresh array (a 1 MiB large-object-heap allocation per chunk) before it is copied again to where it
/// belongs. Here the data stays a slice of the socket buffer until its one copy into the destination. Only
/// the plain shape is read this way (stream id, offset, data); anything else about a chunk or abort frame
/// (a header, an abort, a field from a newer peer) goes to the generic parser, which gives the same result.
/// </summary>
internal static class ObjectFrames
{
    private static readonly uint _chunkTag = WireFormat.MakeTag(Envelope.ObjectChunkFieldNumber, WireFormat.WireType.LengthDelimited);
    private static readonly uint _abortTag = WireFormat.MakeTag(Envelope.ObjectStreamAbortFieldNumber, WireFormat.WireType.LengthDelimited);
    private static readonly uint _streamIdTag = WireFormat.MakeTag(ObjectChunk.StreamIdFieldNumber, WireFormat.WireType.Varint);
    private static readonly uint _offsetTag = WireFormat.MakeTag(ObjectChunk.OffsetFieldNumber, WireFormat.WireType.Varint);
    private static readonly uint _dataTag = WireFormat.MakeTag(ObjectChunk.DataFieldNumber, WireFormat.WireType.LengthDelimited);

    /// <summary>
    /// True for a one-way frame whose body is an object chunk or a stream abort. Such frames are sent with nothing but
    /// the body set (call id 0 is not written), so the body's tag comes first.
    /// </summary>
    public static bool IsObjectFrame(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        return TryReadVarint(ref reader, out var tag) && (tag == _chunkTag || tag == _abortTag);
    }

    /// <summary>Reads a plain data chunk; false for any other shape, which the generic parser then handles.</summary>
    public static bool TryReadChunk(in ReadOnlySequence<byte> payload, out ulong streamId, out long offset, out ReadOnlySequence<byte> data)
    {
        streamId = 0;
        offset = 0;
        data = default;
        var reader = new SequenceReader<byte>(payload);
        if (!TryReadVarint(ref reader, out var tag) || tag != _chunkTag
            || !TryReadVarint(ref reader, out var length) || length != (ulong)reader.Remaining)
        {
            return false;
        }

        while (!reader.End)
        {
            if (!TryReadVarint(ref reader, out var field))
            {
                return false;
            }

            if (field == _streamIdTag && TryReadVarint(ref reader, out var id))
            {
                streamId = id;
            }
            else if (field == _offsetTag && TryReadVarint(ref reader, out var at))
            {
                offset = (long)at;
            }
            else if (field == _dataTag && TryReadVarint(ref reader, out var size) && size <= (ulong)reader.Remaining)
            {
                data = reader.UnreadSequence.Slice(0, (long)size);
                reader.Advance((long)size);
            }
            else
            {
                return false;
            }
        }

        return streamId != 0;
    }

    private static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
