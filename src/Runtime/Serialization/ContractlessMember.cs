using System.Reflection;
using System.Text;
using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>One public property or field of a contractless type, with its key and the codec of its type. Thread-safe.</summary>
internal sealed class ContractlessMember
{
    private readonly PropertyInfo? _property;
    private readonly FieldInfo? _field;
    private readonly BoxedCodec _codec;

    public ContractlessMember(MemberInfo member, string key, bool canRead, bool canWrite, ValueResolver resolver)
    {
        _property = member as PropertyInfo;
        _field = member as FieldInfo;
        Type = _property?.PropertyType ?? _field!.FieldType;
        Key = key;
        CanRead = canRead;
        CanWrite = canWrite;
        _codec = resolver.Codec(Type);

        KeyUtf8 = Encoding.UTF8.GetBytes(key);
        var encoded = new System.Buffers.ArrayBufferWriter<byte>(KeyUtf8.Length + 5);
        var writer = new MessagePackWriter(encoded);
        writer.WriteString(KeyUtf8);
        writer.Flush();
        EncodedKey = encoded.WrittenSpan.ToArray();
    }

    public Type Type { get; }

    /// <summary>The member's name, or for one hidden by a derived member of the same name, qualified by its declaring type.</summary>
    public string Key { get; }

    public byte[] KeyUtf8 { get; }

    /// <summary>The key as a MessagePack string, header included, written as it is.</summary>
    public byte[] EncodedKey { get; }

    /// <summary>Public getter, or a public field.</summary>
    public bool CanRead { get; }

    /// <summary>Public setter (init included), or a public field that is not read-only.</summary>
    public bool CanWrite { get; }

    public void Write(ref MessagePackWriter writer, object owner, MessagePackSerializerOptions options) =>
        _codec.Write(ref writer, _property is not null ? _property.GetValue(owner) : _field!.GetValue(owner), options);

    public object? Read(ref MessagePackReader reader, MessagePackSerializerOptions options) => _codec.Read(ref reader, options);

    /// <summary>Sets the member on <paramref name="owner"/> (a boxed struct is changed in its box).</summary>
    public void Set(object owner, object? value)
    {
        if (_property is not null)
        {
            _property.SetValue(owner, value);
        }
        else
        {
            _field!.SetValue(owner, value);
        }
    }
}
