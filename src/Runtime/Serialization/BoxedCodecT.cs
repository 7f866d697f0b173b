using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>The <see cref="BoxedCodec"/> of <typeparamref name="T"/>. Thread-safe.</summary>
internal sealed class BoxedCodec<T> : BoxedCodec
{
    // Resolved at first use, not when created: a type's members may lead back to the type itself.
    private IMessagePackFormatter<T>? _formatter;

    public override void Write(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
        Formatter(options).Serialize(ref writer, (T)value!, options);

    public override object? Read(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        Formatter(options).Deserialize(ref reader, options);

    public override byte[] Serialize(object? value, MessagePackSerializerOptions options) =>
        MessagePackSerializer.Serialize((T)value!, options);

    public override object? Deserialize(ReadOnlyMemory<byte> data, MessagePackSerializerOptions options) =>
        MessagePackSerializer.Deserialize<T>(data, options);

    private IMessagePackFormatter<T> Formatter(MessagePackSerializerOptions options) =>
        _formatter ??= options.Resolver.GetFormatterWithVerify<T>();
}
