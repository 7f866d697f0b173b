using System.Text.Json;
using System.Text.Json.Serialization;
using Granary.Runtime.Objects;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Lets values hold ObjectRefs (a list of refs, a record with a ref field): each ref is written as its id,
/// its owner and its state (see <see cref="ObjectRefJson"/>), and read back through the reading process's
/// <see cref="ObjectRegistry"/>, so a ref this process already has comes back as the same live entry.
/// Thread-safe.
/// </summary>
internal sealed class ObjectRefConverterFactory(Func<IObjectOwner> owner) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert == typeof(ObjectRef)
        || (typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(ObjectRef<>));

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        // The untyped ObjectRef reads back as ObjectRef<object>: the JSON does not name the value's type.
        var valueType = typeToConvert == typeof(ObjectRef) ? typeof(object) : typeToConvert.GetGenericArguments()[0];
        return (JsonConverter)Activator.CreateInstance(typeof(ObjectRefConverter<,>).MakeGenericType(typeToConvert, valueType), owner)!;
    }
}
