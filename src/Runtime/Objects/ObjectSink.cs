using System.Buffers;

namespace Granary.Runtime.Objects;

/// <summary>
/// Where a streamed value's bytes land: a destination of known size, preallocated (or allocated as it
/// fills), into which each chunk is copied exactly once, in order. What it holds at the end is
/// <see cref="Result"/>: the decoded array itself, or the bytes for a later decode. Written by one thread
/// at a time; read once the stream is complete.
/// </summary>
internal abstract class ObjectSink
{
    protected ObjectSink(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    public long Length { get; }

    public long Received { get; private set; }

    public bool IsComplete => Received == Length;

    /// <summary>The array the bytes were decoded into, or the <see cref="ValueBytes"/> they form.</summary>
    public abstract object Result { get; }

    public void Write(in ReadOnlySequence<byte> data)
    {
        CheckRoom(data.Length);
        foreach (var piece in data)
        {
            Copy(Received, piece.Span);
            Received += piece.Length;
        }
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        CheckRoom(data.Length);
        Copy(Received, data);
        Received += data.Length;
    }

    /// <summary>
    /// Writes a chunk that names its own place, for puts whose chunks may arrive out of order. Each offset
    /// comes once; the value is complete when every byte has been written.
    /// </summary>
    public void WriteAt(long offset, in ReadOnlySequence<byte> data)
    {
        if (offset < 0 || data.Length > Length - offset)
        {
            throw new InvalidDataException($"a chunk of {data.Length} bytes at offset {offset} runs past the end of a {Length}-byte value.");
        }

        foreach (var piece in data)
        {
            Copy(offset, piece.Span);
            offset += piece.Length;
            Received += piece.Length;
        }
    }

    /// <summary>Copies <paramref name="data"/> to its place at <paramref name="offset"/> bytes into the value.</summary>
    protected abstract void Copy(long offset, ReadOnlySpan<byte> data);

    private void CheckRoom(long incoming)
    {
        if (incoming > Length - Received)
        {
            throw new InvalidDataException($"a chunk of {incoming} bytes at offset {Received} runs past the end of a {Length}-byte value.");
        }
    }
}
