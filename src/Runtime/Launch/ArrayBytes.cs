using System.Buffers;
using System.Runtime.InteropServices;

namespace Granary.Runtime.Launch;

/// <summary>
/// The bytes of a slice of a numeric array as <see cref="Memory{T}"/>, without copying them, so a ring step
/// goes to the socket straight from the caller's array. The array must stay untouched until the send ends
/// (the ring awaits each send before it writes that chunk).
/// </summary>
internal sealed class ArrayBytes<T>(T[] array, int start, int length) : MemoryManager<byte>
    where T : unmanaged
{
    private GCHandle _pin;

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan(start, length));

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_pin.IsAllocated)
        {
            _pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        }

        var first = (byte*)_pin.AddrOfPinnedObject() + ((long)start * sizeof(T));
        return new MemoryHandle(first + elementIndex, default, this);
    }

    public override void Unpin()
    {
        // One pin for the manager's life: the memory is only sent from while the array is in use here.
    }

    protected override void Dispose(bool disposing)
    {
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }
}
