using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Object-typed slots (a <c>List&lt;object&gt;</c>, a field declared <c>object</c>): written by the runtime
/// type's formatter, read back as MessagePack's primitive objects would be (numbers, strings, <c>object[]</c>,
/// <c>Dictionary&lt;object, object&gt;</c>), with refs read back as <c>ObjectRef&lt;object&gt;</c>. It replaces
/// MessagePack's fallback formatter, which finds the runtime type's formatter outside this resolver (so refs
/// would be written as plain objects) and compiles code for it. Thread-safe.
/// </summary>
internal sealed class BoxedFormatter(ValueResolver resolver) : IMessagePackFormatter<object?>
{
    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var type = value.GetType();
        if (type == typeof(object))
        {
            // What MessagePack writes for a bare object: an empty map.
            writer.WriteMapHeader(0);
            return;
        }

        WriteDepth.Enter(type, options);
        try
        {
            resolver.Codec(type).Write(ref writer, value, options);
        }
        finally
        {
            WriteDepth.Exit();
        }
    }

    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Extension when ObjectRefExtension.IsNext(ref reader):
                return resolver.GetFormatter<ObjectRef>().Deserialize(ref reader, options);
            case MessagePackType.Array:
                options.Security.DepthStep(ref reader);
                try
                {
                    var items = new object?[reader.ReadArrayHeader()];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = Deserialize(ref reader, options);
                    }

                    return items;
                }
                finally
                {
                    reader.Depth--;
                }

            case MessagePackType.Map:
                options.Security.DepthStep(ref reader);
                try
                {
                    var count = reader.ReadMapHeader();
                    var map = new Dictionary<object, object?>(count);
                    for (var i = 0; i < count; i++)
                    {
                        var key = Deserialize(ref reader, options) ?? throw new MessagePackSerializationException("A map in the value has a nil key.");
                        map[key] = Deserialize(ref reader, options);
                    }

                    return map;
                }
                finally
                {
                    reader.Depth--;
                }

            default:
                return PrimitiveObjectFormatter.Instance.Deserialize(ref reader, options);
        }
    }
}
