using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// A value inside a MessagePack value (a record's member, an array's element) that a registered
/// <see cref="ISerializer"/> carries, written as [serializer name, its bytes] so a reader with no such type in
/// its own list still finds the serializer by name, as it does for a value at the top. Thread-safe.
/// </summary>
internal sealed class CustomValueFormatter<T>(ISerializer? writer, Func<string, ISerializer> findByName) : IMessagePackFormatter<T>
{
    private readonly string? _name = writer is null ? null : ValueSerializer.SerializerName(writer);

    public void Serialize(ref MessagePackWriter messagePack, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            messagePack.WriteNil();
            return;
        }

        var serializer = writer ?? throw new MessagePackSerializationException($"no registered serializer writes {typeof(T).Name} here.");
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, value, typeof(T));
        messagePack.WriteArrayHeader(2);
        messagePack.Write(_name);
        messagePack.Write(buffer.WrittenSpan);
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }

        if (reader.ReadArrayHeader() != 2)
        {
            throw new MessagePackSerializationException($"a {typeof(T).Name} written by a custom serializer has the wrong shape.");
        }

        var name = reader.ReadString() ?? throw new MessagePackSerializationException($"a {typeof(T).Name} names no serializer.");
        var bytes = reader.ReadBytes() ?? throw new MessagePackSerializationException($"a {typeof(T).Name} has no bytes.");
        var serializer = writer is not null && name == _name ? writer : findByName(name);
        return (T)serializer.Deserialize(bytes.ToArray(), typeof(T))!;
    }
}
