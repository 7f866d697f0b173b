using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Granary.Runtime.Objects;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Decodes a streamed raw array as it arrives: the final <typeparamref name="T"/>[] is allocated from the
/// header's size and every chunk is copied straight into its bytes, so the value is copied once on its way
/// from the socket to the caller. Works past 2 GiB of bytes (a double[] may hold 16 GiB).
/// </summary>
internal sealed class RawArraySink<T> : ObjectSink
    where T : unmanaged
{
    private readonly T[] _array;

    public unsafe RawArraySink(long length) : base(length)
    {
        if (length % sizeof(T) != 0 || length / sizeof(T) > Array.MaxLength)
        {
            throw new InvalidDataException($"{length} bytes is not a whole number of {typeof(T).Name} elements that fits one array.");
        }

        _array = GC.AllocateUninitializedArray<T>((int)(length / sizeof(T)));
    }

    public override object Result => IsComplete
        ? _array
        : throw new InvalidOperationException($"the array is incomplete: {Received} of {Length} bytes arrived.");

    protected override void Copy(long offset, ReadOnlySpan<byte> data)
    {
        // A byte view at any offset into the array, which MemoryMarshal.AsBytes cannot give past 2 GiB.
        ref var start = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(_array));
        data.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref start, (nint)offset), data.Length));
    }
}
