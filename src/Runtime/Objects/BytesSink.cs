using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// Collects a streamed value as raw bytes (a silo storing a put, or a fetch whose target type is not a raw
/// array). Segments are allocated when the first byte for them arrives, uninitialized since every byte is
/// then written: a stream that stops early holds only what came, and nothing pays for zeroing.
/// </summary>
internal sealed class BytesSink : ObjectSink
{
    private readonly ValueFormat _format;
    private readonly string _serializer;
    private readonly byte[]?[] _segments;
    private readonly int[] _sizes;
    private readonly int _segmentBytes;

    /// <param name="segmentBytes">Segment size; only tests pass anything but <see cref="ValueBytes.SegmentBytes"/>, to cross segments cheaply.</param>
    public BytesSink(ValueFormat format, string serializer, long length, int segmentBytes = ValueBytes.SegmentBytes) : base(length)
    {
        _format = format;
        _serializer = serializer;
        _segmentBytes = segmentBytes;
        _sizes = [.. ValueBytes.SegmentSizes(length, segmentBytes)];
        _segments = new byte[_sizes.Length][];
    }

    public override object Result => Bytes();

    public ValueBytes Bytes()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException($"the value is incomplete: {Received} of {Length} bytes arrived.");
        }

        return new ValueBytes(_format, _serializer, [.. _segments.Select(s => (ReadOnlyMemory<byte>)s!)]);
    }

    protected override void Copy(long offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var index = (int)(offset / _segmentBytes);
            var within = (int)(offset % _segmentBytes);
            var segment = _segments[index] ??= GC.AllocateUninitializedArray<byte>(_sizes[index]);
            var count = Math.Min(data.Length, segment.Length - within);
            data[..count].CopyTo(segment.AsSpan(within));
            data = data[count..];
            offset += count;
        }
    }
}
