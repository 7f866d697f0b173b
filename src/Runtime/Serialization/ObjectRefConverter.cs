using System.Text.Json;
using System.Text.Json.Serialization;
using Granary.Runtime.Objects;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Writes and reads one ObjectRef type. <typeparamref name="TRef"/> is the declared type (ObjectRef or
/// ObjectRef&lt;T&gt;); <typeparamref name="T"/> the value type of the ref it creates. Thread-safe.
/// </summary>
internal sealed class ObjectRefConverter<TRef, T>(Func<IObjectOwner> owner) : JsonConverter<TRef>
    where TRef : ObjectRef
{
    public override void Write(Utf8JsonWriter writer, TRef value, JsonSerializerOptions options)
    {
        var entry = value.Entry;
        var reference = ObjectRegistry.Describe(entry);

        // Register before the value leaves, so a copy that comes back here finds this very entry.
        entry.Owner.Registry.Register(entry);
        ContainedRefs.Record(entry, pending: reference.StateCase == Wire.NestedRef.StateOneofCase.None);
        ObjectRefJson.Write(writer, reference);
    }

    public override TRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var registry = owner().Registry;
        ObjectEntry? live = null;
        var (reference, known) = ObjectRefJson.Read(ref reader, id => registry.TryGet(id, out live));
        var entry = known ? live! : registry.Resolve(reference);
        return (TRef)(ObjectRef)new ObjectRef<T>(entry);
    }
}
