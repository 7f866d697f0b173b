using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// How an ObjectRef looks inside a JSON value:
/// <c>{"$objectRef": id, "owner": owner, "value" | "location" | "error": base64 protobuf}</c>. The id and owner
/// are plain strings; the state is the protobuf <c>Value</c>, <c>ObjectLocation</c> or <c>ErrorInfo</c>, so a
/// reader in any process gets it back exactly. A ref with no state was not finished when written.
/// </summary>
internal static class ObjectRefJson
{
    public const string IdProperty = "$objectRef";
    public const string OwnerProperty = "owner";
    public const string ValueProperty = "value";
    public const string LocationProperty = "location";
    public const string ErrorProperty = "error";

    private static readonly JsonEncodedText _id = JsonEncodedText.Encode(IdProperty);
    private static readonly JsonEncodedText _owner = JsonEncodedText.Encode(OwnerProperty);
    private static readonly JsonEncodedText _value = JsonEncodedText.Encode(ValueProperty);
    private static readonly JsonEncodedText _location = JsonEncodedText.Encode(LocationProperty);
    private static readonly JsonEncodedText _error = JsonEncodedText.Encode(ErrorProperty);

    public static void Write(Utf8JsonWriter writer, NestedRef reference)
    {
        writer.WriteStartObject();
        writer.WriteString(_id, reference.ObjectId);
        writer.WriteString(_owner, reference.Owner);
        switch (reference.StateCase)
        {
            case NestedRef.StateOneofCase.Value:
                writer.WriteBase64String(_value, reference.Value.ToByteArray());
                break;
            case NestedRef.StateOneofCase.Location:
                writer.WriteBase64String(_location, reference.Location.ToByteArray());
                break;
            case NestedRef.StateOneofCase.Error:
                writer.WriteBase64String(_error, reference.Error.ToByteArray());
                break;
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads one ref. <paramref name="known"/> is asked as soon as the id is read: when it returns true the
    /// rest is skipped without decoding (the process already has that entry).
    /// </summary>
    public static (NestedRef Reference, bool Known) Read(ref Utf8JsonReader reader, Func<string, bool> known)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"An ObjectRef is written as a JSON object with '{IdProperty}', not as {reader.TokenType}.");
        }

        var reference = new NestedRef();
        var isKnown = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                throw new JsonException($"Unexpected {reader.TokenType} inside an ObjectRef.");
            }

            // Which property this is must be asked while the reader is on its name.
            var property = reader.ValueTextEquals(_id.EncodedUtf8Bytes) ? 1
                : reader.ValueTextEquals(_owner.EncodedUtf8Bytes) ? 2
                : reader.ValueTextEquals(_value.EncodedUtf8Bytes) ? 3
                : reader.ValueTextEquals(_location.EncodedUtf8Bytes) ? 4
                : reader.ValueTextEquals(_error.EncodedUtf8Bytes) ? 5
                : 0;
            reader.Read();
            if (isKnown || property == 0 || reader.TokenType == JsonTokenType.Null)
            {
                reader.Skip();
                continue;
            }

            switch (property)
            {
                case 1:
                    reference.ObjectId = reader.GetString()!;
                    isKnown = known(reference.ObjectId);
                    break;
                case 2:
                    reference.Owner = reader.GetString()!;
                    break;
                case 3:
                    reference.Value = Value.Parser.ParseFrom(reader.GetBytesFromBase64());
                    break;
                case 4:
                    reference.Location = ObjectLocation.Parser.ParseFrom(reader.GetBytesFromBase64());
                    break;
                default:
                    reference.Error = ErrorInfo.Parser.ParseFrom(reader.GetBytesFromBase64());
                    break;
            }
        }

        if (string.IsNullOrEmpty(reference.ObjectId))
        {
            throw new JsonException($"An ObjectRef in JSON needs its '{IdProperty}' property.");
        }

        return (reference, isKnown);
    }

    /// <summary>True for a ref written before it was finished (an id and no state).</summary>
    public static bool IsPendingRef(JsonObject node, out string id)
    {
        id = string.Empty;
        if (node.TryGetPropertyValue(IdProperty, out var idNode) && idNode is JsonValue idValue && idValue.TryGetValue(out string? text)
            && !node.ContainsKey(ValueProperty) && !node.ContainsKey(LocationProperty) && !node.ContainsKey(ErrorProperty))
        {
            id = text;
            return true;
        }

        return false;
    }

    /// <summary>Adds a finished ref's state to its JSON object.</summary>
    public static void AddState(JsonObject node, NestedRef reference)
    {
        switch (reference.StateCase)
        {
            case NestedRef.StateOneofCase.Value:
                node[ValueProperty] = Convert.ToBase64String(reference.Value.ToByteArray());
                break;
            case NestedRef.StateOneofCase.Location:
                node[LocationProperty] = Convert.ToBase64String(reference.Location.ToByteArray());
                break;
            case NestedRef.StateOneofCase.Error:
                node[ErrorProperty] = Convert.ToBase64String(reference.Error.ToByteArray());
                break;
        }
    }
}
