using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Stands for a type no formatter can carry (an interface, a delegate, ...), so the failure says why
/// instead of MessagePack's "not registered in resolver". Thread-safe.
/// </summary>
internal sealed class RefusedFormatter<T>(string reason) : IMessagePackFormatter<T>
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException(reason);

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new MessagePackSerializationException(reason);
}
