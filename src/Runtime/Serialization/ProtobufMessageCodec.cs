using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization;
using Orleans.Serialization.WireProtocol;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Lets Orleans carry Granary's engine records, which are protobuf messages (src/Runtime/Protos), as grain
/// call arguments and results. Orleans' own protobuf package is not served here, so this small codec does
/// the same job: a field holds the message's type and its protobuf bytes. Only types from Granary's wire
/// namespace are taken, so user types never reach it. Thread-safe.
/// </summary>
internal sealed class ProtobufMessageCodec : IGeneralizedCodec, IGeneralizedCopier, ITypeFilter
{
    private static readonly Type CodecType = typeof(ProtobufMessageCodec);
    private static readonly ConcurrentDictionary<Type, MessageParser?> Parsers = new();

    public bool IsSupportedType(Type type) => type == CodecType || ParserFor(type) is not null;

    bool? ITypeFilter.IsTypeAllowed(Type type) => type == CodecType || ParserFor(type) is not null ? true : null;

    [return: NotNullIfNotNull(nameof(input))]
    public object? DeepCopy(object? input, CopyContext context)
    {
        if (input is null)
        {
            return null;
        }

        if (context.TryGetCopy(input, out object? existing) && existing is not null)
        {
            return existing;
        }

        // Messages are mutable, so a call inside one silo gets its own copy, as a remote one would.
        var message = (IMessage)input;
        var copy = message.Descriptor.Parser.ParseFrom(message.ToByteString());
        context.RecordCopy(input, copy);
        return copy;
    }

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, object? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        var message = (IMessage)value!;
        writer.WriteFieldHeader(fieldIdDelta, expectedType, CodecType, WireType.TagDelimited);

        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeaderExpected(0, WireType.LengthPrefixed);
        writer.Session.TypeCodec.WriteLengthPrefixed(ref writer, value!.GetType());

        var size = message.CalculateSize();
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeaderExpected(1, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)size);
        if (size > 0)
        {
            var rented = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var span = rented.AsSpan(0, size);
                message.WriteTo(span);
                writer.Write(span);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        writer.WriteEndObject();
    }

    public object ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.IsReference)
        {
            return ReferenceCodec.ReadReference(ref reader, field.FieldType)!;
        }

        field.EnsureWireTypeTagDelimited();
        var placeholder = ReferenceCodec.CreateRecordPlaceholder(reader.Session);
        Type? type = null;
        IMessage? result = null;
        uint fieldId = 0;
        while (true)
        {
            var header = reader.ReadFieldHeader();
            if (header.IsEndBaseOrEndObject)
            {
                break;
            }

            fieldId += header.FieldIdDelta;
            if (fieldId == 0)
            {
                ReferenceCodec.MarkValueField(reader.Session);
                type = reader.Session.TypeCodec.ReadLengthPrefixed(ref reader);
            }
            else if (fieldId == 1)
            {
                var parser = (type is null ? null : ParserFor(type))
                    ?? throw new InvalidDataException($"A Granary message field names type '{type}', which is not a Granary wire message.");
                ReferenceCodec.MarkValueField(reader.Session);
                var length = checked((int)reader.ReadVarUInt32());
                var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                try
                {
                    var span = rented.AsSpan(0, length);
                    reader.ReadBytes(span);
                    result = parser.ParseFrom(span);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
            else
            {
                reader.ConsumeUnknownField(header);
            }
        }

        var value = result ?? throw new InvalidDataException("A Granary message field carried no message bytes.");
        ReferenceCodec.RecordObject(reader.Session, value, placeholder);
        return value;
    }

    /// <summary>
    /// Short names for the codec and every message type, so a message carries "gw.TaskReply" instead of an
    /// assembly-qualified type name.
    /// </summary>
    public static IEnumerable<(string Alias, Type Type)> Aliases()
    {
        yield return ("gw.codec", CodecType);
        foreach (var type in CodecType.Assembly.GetTypes())
        {
            if (ParserFor(type) is not null)
            {
                yield return ("gw." + type.Name, type);
            }
        }
    }

    /// <summary>The parser of a Granary wire message type; null for any other type.</summary>
    private static MessageParser? ParserFor(Type type) => Parsers.GetOrAdd(type, static t =>
        t.IsClass && !t.IsAbstract && typeof(IMessage).IsAssignableFrom(t) && t.Namespace == typeof(Wire.TaskSpec).Namespace
            ? (Activator.CreateInstance(t) as IMessage)?.Descriptor.Parser
            : null);
}
