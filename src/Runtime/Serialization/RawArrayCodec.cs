using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Granary.Runtime.Serialization;

/// <summary>
/// byte[] and arrays of primitives travel as their raw bytes: no JSON, one copy each way. Thread-safe.
/// </summary>
internal static class RawArrayCodec
{
    private static readonly ConcurrentDictionary<Type, IElementCodec?> _codecs = new();

    public static bool IsRaw(Type type) => Codec(type) is not null;

    public static ByteString Encode(object array, Type type) => Codec(type)!.Encode((Array)array);

    /// <summary>The array type for a primitive element type name such as System.Double; null for anything else.</summary>
    public static Type? ArrayTypeOf(string elementTypeName)
    {
        var element = elementTypeName.Length == 0 ? null : typeof(int).Assembly.GetType(elementTypeName, throwOnError: false);
        return element is { IsPrimitive: true } ? element.MakeArrayType() : null;
    }

    public static object Decode(ReadOnlySpan<byte> data, Type type) => Codec(type)!.Decode(data);

    private static IElementCodec? Codec(Type type) => _codecs.GetOrAdd(type, static t =>
    {
        if (!t.IsArray || t.GetArrayRank() != 1)
        {
            return null;
        }

        var element = t.GetElementType()!;
        if (!element.IsPrimitive || element == typeof(IntPtr) || element == typeof(UIntPtr))
        {
            return null;
        }

        return (IElementCodec)Activator.CreateInstance(typeof(ElementCodec<>).MakeGenericType(element))!;
    });

    private interface IElementCodec
    {
        ByteString Encode(Array array);

        object Decode(ReadOnlySpan<byte> data);
    }

    private sealed class ElementCodec<T> : IElementCodec
        where T : unmanaged
    {
        public ByteString Encode(Array array) => ByteString.CopyFrom(MemoryMarshal.AsBytes(((T[])array).AsSpan()));

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
    }
}
