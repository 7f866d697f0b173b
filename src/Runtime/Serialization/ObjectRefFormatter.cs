using Granary.Runtime.Objects;
using Granary.Runtime.Wire;
using MessagePack;
using MessagePack.Formatters;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Writes and reads one ObjectRef type inside MessagePack values (see <see cref="ObjectRefExtension"/>): each
/// ref is written as its id, its owner and its state, and read back through the reading process's
/// <see cref="ObjectRegistry"/>, so a ref this process already has comes back as the same live entry.
/// <typeparamref name="TRef"/> is the declared type (ObjectRef or ObjectRef&lt;T&gt;); <typeparamref name="T"/>
/// the value type of the ref it creates. Thread-safe.
/// </summary>
internal sealed class ObjectRefFormatter<TRef, T>(Func<IObjectOwner> owner) : IMessagePackFormatter<TRef?>
    where TRef : ObjectRef
{
    public void Serialize(ref MessagePackWriter writer, TRef? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var entry = value.Entry;
        var reference = ObjectRegistry.Describe(entry);

        // Register before the value leaves, so a copy that comes back here finds this very entry.
        entry.Owner.Registry.Register(entry);
        ContainedRefs.Record(entry, pending: reference.StateCase == NestedRef.StateOneofCase.None);
        ObjectRefExtension.Write(ref writer, reference);
    }

    public TRef? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var entry = owner().Registry.Resolve(ObjectRefExtension.Read(ref reader));
        return (TRef)(ObjectRef)new ObjectRef<T>(entry);
    }
}
