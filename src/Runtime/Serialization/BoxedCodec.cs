using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// MessagePack's generic API for one type, called with the value boxed: how code that holds a
/// <see cref="System.Type"/> rather than a type parameter (a whole value, a member, an object-typed slot)
/// reaches it. MessagePack's own non-generic entry points are not used because their static caches keyed by
/// type would keep a job's types, and so its collectible load context, alive for good; a codec belongs to
/// one <see cref="ValueResolver"/> and dies with it (see <see cref="BoxedCodec{T}"/>).
/// </summary>
internal abstract class BoxedCodec
{
    public abstract void Write(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options);

    public abstract object? Read(ref MessagePackReader reader, MessagePackSerializerOptions options);

    /// <summary>The whole value as one MessagePack document.</summary>
    public abstract byte[] Serialize(object? value, MessagePackSerializerOptions options);

    public abstract object? Deserialize(ReadOnlyMemory<byte> data, MessagePackSerializerOptions options);
}
