using System.Buffers;
using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>
/// A large value in memory: its format and serializer, and its bytes as one or more segments laid end to end.
/// One array holds at most 2 GiB, so a larger value (a big double[]) needs several; values up to
/// <see cref="SegmentBytes"/> are always one segment, so they convert to a wire <see cref="Value"/> without
/// a copy. Immutable once built; the segments are never written again, which is what lets chunks on their
/// way to a socket point into them. Thread-safe.
/// </summary>
internal sealed class ValueBytes
{
    /// <summary>Largest segment: 1 GiB, a power of two so chunk boundaries never straddle two segments.</summary>
    public const int SegmentBytes = 1 << 30;

    private readonly ReadOnlyMemory<byte>[] _segments;
    private readonly ArrayPool<byte>? _pool;
    private byte[][]? _rented;

    public ValueBytes(ValueFormat format, string serializer, IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        Format = format;
        Serializer = serializer;
        _segments = [.. segments];
        foreach (var segment in _segments)
        {
            Length += segment.Length;
        }
    }

    private ValueBytes(ValueFormat format, string serializer, IReadOnlyList<ReadOnlyMemory<byte>> segments, ArrayPool<byte> pool, byte[][] rented)
        : this(format, serializer, segments)
    {
        _pool = pool;
        _rented = rented;
    }

    public ValueFormat Format { get; }

    public string Serializer { get; }

    public long Length { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> Segments => _segments;

    /// <summary>
    /// Bytes held in arrays rented from <paramref name="pool"/> (each segment the front of its array), to be
    /// given back with <see cref="ReturnRented"/>: a value that only passes through (an upload) then costs
    /// no fresh memory, whose first touch costs several times the copy itself.
    /// </summary>
    public static ValueBytes Rented(ValueFormat format, string serializer, ArrayPool<byte> pool, byte[][] arrays, IReadOnlyList<int> sizes) =>
        new(format, serializer, [.. arrays.Select((array, i) => (ReadOnlyMemory<byte>)array.AsMemory(0, sizes[i]))], pool, arrays);

    /// <summary>
    /// Gives rented arrays back to their pool; nothing else happens for other values. Only once nothing reads
    /// the bytes any more (for an upload: its commit was answered, so every chunk has been written), and the
    /// value must not be used afterwards.
    /// </summary>
    public void ReturnRented()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            foreach (var array in rented)
            {
                _pool!.Return(array);
            }
        }
    }

    /// <summary>Wraps a wire value's bytes; no copy.</summary>
    public static ValueBytes From(Value value) => new(value.Format, value.Serializer, [value.Data.Memory]);

    /// <summary>The format and serializer without the bytes: what travels ahead of a stream.</summary>
    public Value Header() => new() { Format = Format, Serializer = Serializer };

    /// <summary>As a wire value: no copy when the bytes are one segment, one copy otherwise (at most 2 GiB).</summary>
    public Value ToValue()
    {
        if (_segments.Length == 1)
        {
            return new Value { Format = Format, Serializer = Serializer, Data = UnsafeByteOperations.UnsafeWrap(_segments[0]) };
        }

        if (Length > Array.MaxLength)
        {
            throw new InvalidOperationException($"a value of {Length} bytes does not fit one message; it can only travel in chunks.");
        }

        var joined = GC.AllocateUninitializedArray<byte>((int)Length);
        CopyTo(joined);
        return new Value { Format = Format, Serializer = Serializer, Data = UnsafeByteOperations.UnsafeWrap(joined) };
    }

    /// <summary>
    /// The bytes from <paramref name="offset"/> on, at most <paramref name="maxLength"/> of them and never past
    /// the end of a segment, so a chunk can point into the segment instead of copying it.
    /// </summary>
    public ReadOnlyMemory<byte> Slice(long offset, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        foreach (var segment in _segments)
        {
            if (offset < segment.Length)
            {
                return segment.Slice((int)offset, (int)Math.Min(maxLength, segment.Length - offset));
            }

            offset -= segment.Length;
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    public void CopyTo(Span<byte> destination)
    {
        foreach (var segment in _segments)
        {
            segment.Span.CopyTo(destination);
            destination = destination[segment.Length..];
        }
    }

    public void WriteTo(Stream stream)
    {
        foreach (var segment in _segments)
        {
            stream.Write(segment.Span);
        }
    }

    /// <summary>Sizes of the segments that hold <paramref name="length"/> bytes: whole segments, then the rest.</summary>
    public static IEnumerable<int> SegmentSizes(long length, int segmentBytes = SegmentBytes)
    {
        for (var left = length; left > 0; left -= segmentBytes)
        {
            yield return (int)Math.Min(left, segmentBytes);
        }
    }
}
