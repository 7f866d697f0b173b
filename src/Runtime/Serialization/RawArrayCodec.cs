using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// byte[] and arrays of primitives travel as their raw bytes: no JSON, one copy each way. Thread-safe.
/// </summary>
internal static class RawArrayCodec
{
    private static readonly ConcurrentDictionary<Type, IElementCodec> _codecs = new();

    public static bool IsRaw(Type type) => Codec(type) is not null;

    public static ByteString Encode(object array, Type type) => Codec(type)!.Encode((Array)array);

    /// <summary>
    /// The array's bytes copied once into fresh segments (no zeroing first), for values that may be larger
    /// than one message or one byte array.
    /// </summary>
    public static ValueBytes EncodeBytes(object array, Type type, ArrayPool<byte>? pool = null) => Codec(type)!.EncodeBytes((Array)array, pool);

    /// <summary>The array's size in bytes, without encoding it.</summary>
    public static long ByteLength(object array, Type type) => Codec(type)!.ByteLength((Array)array);

    /// <summary>The array type for a primitive element type name such as System.Double; null for anything else.</summary>
    public static Type? ArrayTypeOf(string elementTypeName)
    {
        var element = elementTypeName.Length == 0 ? null : typeof(int).Assembly.GetType(elementTypeName, throwOnError: false);
        return element is { IsPrimitive: true } ? element.MakeArrayType() : null;
    }

    public static object Decode(ReadOnlySpan<byte> data, Type type) => Codec(type)!.Decode(data);

    /// <summary>Decodes bytes held in segments into one array: one copy, and no 2 GiB limit on the bytes.</summary>
    public static object Decode(ValueBytes bytes, Type type)
    {
        var sink = Codec(type)!.CreateSink(bytes.Length);
        foreach (var segment in bytes.Segments)
        {
            sink.Write(segment.Span);
        }

        return sink.Result;
    }

    /// <summary>A destination that decodes a streamed array of <paramref name="type"/> as its bytes arrive.</summary>
    public static ObjectSink CreateSink(Type type, long length) => Codec(type)!.CreateSink(length);

    // Only primitive arrays are cached: they are the framework's types. Caching every type asked about would
    // keep a job's types, and so its collectible load context, alive for good.
    private static IElementCodec? Codec(Type type) =>
        type.IsArray && type.GetArrayRank() == 1 && type.GetElementType() is { IsPrimitive: true } element && element != typeof(IntPtr) && element != typeof(UIntPtr)
            ? _codecs.GetOrAdd(type, static (_, e) => (IElementCodec)Activator.CreateInstance(typeof(ElementCodec<>).MakeGenericType(e))!, element)
            : null;

    private interface IElementCodec
    {
        ByteString Encode(Array array);

        ValueBytes EncodeBytes(Array array, ArrayPool<byte>? pool);

        long ByteLength(Array array);

        object Decode(ReadOnlySpan<byte> data);

        ObjectSink CreateSink(long length);
    }

    private sealed class ElementCodec<T> : IElementCodec
        where T : unmanaged
    {
        public ByteString Encode(Array array)
        {
            // One copy into an array nobody else sees, so it can be wrapped; not zeroed first, since every byte is written.
            var bytes = MemoryMarshal.AsBytes(((T[])array).AsSpan());
            var copy = GC.AllocateUninitializedArray<byte>(bytes.Length);
            bytes.CopyTo(copy);
            return UnsafeByteOperations.UnsafeWrap(copy);
        }

        public unsafe long ByteLength(Array array) => (long)array.Length * sizeof(T);

        public ValueBytes EncodeBytes(Array array, ArrayPool<byte>? pool)
        {
            var typed = (T[])array;
            ref var start = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(typed));
            var sizes = ValueBytes.SegmentSizes(ByteLength(array)).ToList();
            var arrays = sizes.Select(size => pool?.Rent(size) ?? GC.AllocateUninitializedArray<byte>(size)).ToArray();
            long offset = 0;
            for (var i = 0; i < sizes.Count; i++)
            {
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AddByteOffset(ref start, (nint)offset), sizes[i]).CopyTo(arrays[i]);
                offset += sizes[i];
            }

            return pool is null
                ? new ValueBytes(ValueFormat.Raw, typeof(T).FullName!, [.. arrays.Select(a => (ReadOnlyMemory<byte>)a)])
                : ValueBytes.Rented(ValueFormat.Raw, typeof(T).FullName!, pool, arrays, sizes);
        }

        public unsafe object Decode(ReadOnlySpan<byte> data)
        {
            if (data.Length % sizeof(T) != 0)
            {
                throw new FormatException($"{data.Length} bytes is not a whole number of {typeof(T).Name} elements.");
            }

            var result = GC.AllocateUninitializedArray<T>(data.Length / sizeof(T));
            data.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }

        public ObjectSink CreateSink(long length) => new RawArraySink<T>(length);
    }
}
