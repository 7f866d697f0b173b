using System.Buffers;

namespace Granary;

/// <summary>
/// A pluggable value serializer. Granary tries registered serializers before its own (MessagePack,
/// and raw bytes for byte[] and arrays of primitives). The silo creates the same type by name inside
/// the job's code, so it needs a public parameterless constructor. Implementations must be thread-safe.
/// </summary>
public interface ISerializer
{
    bool CanSerialize(Type type);

    void Serialize(IBufferWriter<byte> output, object? value, Type type);

    object? Deserialize(ReadOnlyMemory<byte> data, Type type);
}
