using System.Buffers;

namespace Granary.Runtime.Launch;

/// <summary>One ring step's bytes as received; a pooled buffer goes back to the pool on dispose.</summary>
internal readonly struct ReceivedBytes(byte[] buffer, int length, bool pooled) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

    public int Length => length;

    public void Dispose()
    {
        if (pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
