using System.Buffers;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;
using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// How an ObjectRef looks inside a MessagePack value: extension type <see cref="TypeCode"/>, whose payload is
/// the protobuf <c>NestedRef</c> (object id, owner, and at most one of value, location or error). An extension
/// and not a map, so no user map can be mistaken for a ref and a ref can be found in the bytes without knowing
/// the value's type; protobuf inside, so a reader in any process gets the state back exactly. A ref with no
/// state was not finished when written.
/// </summary>
internal static class ObjectRefExtension
{
    /// <summary>The extension type of a ref: 71 is 'G'. Application types are 0 to 127.</summary>
    public const sbyte TypeCode = 71;

    public static void Write(ref MessagePackWriter writer, NestedRef reference)
    {
        var size = reference.CalculateSize();
        writer.WriteExtensionFormatHeader(new ExtensionHeader(TypeCode, size));
        var span = writer.GetSpan(size)[..size];
        reference.WriteTo(span);
        writer.Advance(size);
    }

    public static NestedRef Read(ref MessagePackReader reader)
    {
        var header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != TypeCode)
        {
            throw new MessagePackSerializationException($"An ObjectRef is written as MessagePack extension {TypeCode}, not {header.TypeCode}.");
        }

        var reference = NestedRef.Parser.ParseFrom(reader.ReadRaw(header.Length));
        return string.IsNullOrEmpty(reference.ObjectId)
            ? throw new MessagePackSerializationException("An ObjectRef in a value has no object id.")
            : reference;
    }

    /// <summary>True when the reader is on a ref (it does not move).</summary>
    public static bool IsNext(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Extension)
        {
            return false;
        }

        var peek = reader.CreatePeekReader();
        return peek.ReadExtensionFormatHeader().TypeCode == TypeCode;
    }

    /// <summary>
    /// A copy of <paramref name="data"/> in which each ref that had no state when written and is in
    /// <paramref name="finished"/> carries its state now. Everything else is copied as it is.
    /// </summary>
    public static ByteString FillPending(ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, ObjectEntry> finished)
    {
        var reader = new MessagePackReader(data);
        var output = new ArrayBufferWriter<byte>(data.Length + (finished.Count * 64));
        var writer = new MessagePackWriter(output);
        while (!reader.End)
        {
            Copy(ref reader, ref writer, finished);
        }

        writer.Flush();
        return UnsafeByteOperations.UnsafeWrap(output.WrittenMemory);
    }

    private static void Copy(ref MessagePackReader reader, ref MessagePackWriter writer, IReadOnlyDictionary<string, ObjectEntry> finished)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                var length = reader.ReadArrayHeader();
                writer.WriteArrayHeader(length);
                for (var i = 0; i < length; i++)
                {
                    Copy(ref reader, ref writer, finished);
                }

                break;
            case MessagePackType.Map:
                var pairs = reader.ReadMapHeader();
                writer.WriteMapHeader(pairs);
                for (var i = 0; i < pairs * 2; i++)
                {
                    Copy(ref reader, ref writer, finished);
                }

                break;
            case MessagePackType.Extension when IsNext(ref reader):
                var reference = Read(ref reader);
                if (reference.StateCase == NestedRef.StateOneofCase.None && finished.TryGetValue(reference.ObjectId, out var entry))
                {
                    reference = ObjectRegistry.Describe(entry);
                }

                Write(ref writer, reference);
                break;
            default:
                // A scalar, or an extension of someone else's: one whole token, copied as it is.
                writer.WriteRaw(reader.ReadRaw());
                break;
        }
    }
}
