using System.Buffers;
using System.Text.Json;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Turns user values into wire <see cref="Value"/>s and back: registered <see cref="ISerializer"/>s first,
/// raw bytes for byte[] and primitive arrays, System.Text.Json for the rest. One instance per job on a
/// silo (its JSON metadata cache holds the job's types, so it must die with the job's load context).
/// ObjectRefs inside JSON values are written and read by <see cref="ObjectRefConverterFactory"/>, through
/// <see cref="Owner"/>. Thread-safe.
/// </summary>
internal sealed class ValueSerializer
{
    private readonly IReadOnlyList<ISerializer> _custom;
    private readonly Func<string, ISerializer>? _resolveByName;
    private readonly Dictionary<string, ISerializer> _byName = new();

    public ValueSerializer(IReadOnlyList<ISerializer>? custom = null, Func<string, ISerializer>? resolveByName = null)
    {
        _custom = custom ?? [];
        _resolveByName = resolveByName;
        foreach (var serializer in _custom)
        {
            _byName[SerializerName(serializer)] = serializer;
        }

        JsonOptions = new JsonSerializerOptions
        {
            // Fields too, so tuples and field-style records round-trip as users expect.
            IncludeFields = true,
        };
        JsonOptions.Converters.Add(new ObjectRefConverterFactory(() => Owner ?? DetachedObjects.Instance));
    }

    public JsonSerializerOptions JsonOptions { get; }

    /// <summary>
    /// The objects of the process and job this serializer works for: refs read out of values resolve
    /// through its registry, and fetch and decode through it. Set once, before first use; without one, refs
    /// read back carry only what was written inside them.
    /// </summary>
    public IObjectOwner? Owner { get; set; }

    public static string SerializerName(ISerializer serializer) =>
        serializer.GetType().AssemblyQualifiedName ?? serializer.GetType().FullName!;

    public Value Serialize(object? value, Type declaredType) => Serialize(value, declaredType, out _);

    /// <summary>As above; <paramref name="contained"/> gets the ObjectRefs the value holds (null when none).</summary>
    public Value Serialize(object? value, Type declaredType, out ContainedRefs? contained)
    {
        var outer = ContainedRefs.Begin();
        try
        {
            return SerializeCore(value, declaredType);
        }
        finally
        {
            contained = ContainedRefs.End(outer);
        }
    }

    private Value SerializeCore(object? value, Type declaredType)
    {
        if (value is null)
        {
            return new Value { Format = ValueFormat.Null };
        }

        var type = declaredType == typeof(object) ? value.GetType() : declaredType;
        try
        {
            foreach (var serializer in _custom)
            {
                if (serializer.CanSerialize(type))
                {
                    var buffer = new ArrayBufferWriter<byte>();
                    serializer.Serialize(buffer, value, type);
                    return new Value { Format = ValueFormat.Custom, Serializer = SerializerName(serializer), Data = ByteString.CopyFrom(buffer.WrittenSpan) };
                }
            }

            if (RawArrayCodec.IsRaw(value.GetType()))
            {
                // The element type travels along so a target declared as object or an interface can still decode it.
                return new Value { Format = ValueFormat.Raw, Data = RawArrayCodec.Encode(value, value.GetType()), Serializer = value.GetType().GetElementType()!.FullName! };
            }

            var json = JsonSerializer.SerializeToUtf8Bytes(value, type, JsonOptions);
            return new Value { Format = ValueFormat.Json, Data = UnsafeByteOperations.UnsafeWrap(json) };
        }
        catch (Exception ex) when (ex is not ValueSerializationException)
        {
            throw new ValueSerializationException(type,
                $"A value of type '{type.FullName}' cannot be serialized: {ex.Message} Pass plain data (public properties or fields), or register an ISerializer for '{type.Name}'.", ex);
        }
    }

    public T Deserialize<T>(Value value) => (T)Deserialize(value, typeof(T))!;

    public object? Deserialize(Value value, Type type)
    {
        try
        {
            switch (value.Format)
            {
                case ValueFormat.Null:
                    return null;
                case ValueFormat.Raw when RawArrayCodec.IsRaw(type):
                    return RawArrayCodec.Decode(value.Data.Span, type);
                case ValueFormat.Raw:
                    var arrayType = RawArrayCodec.ArrayTypeOf(value.Serializer)
                        ?? throw new InvalidOperationException($"raw element type '{value.Serializer}' is not a primitive.");
                    return type.IsAssignableFrom(arrayType)
                        ? RawArrayCodec.Decode(value.Data.Span, arrayType)
                        : throw new InvalidOperationException($"a {arrayType.Name} cannot be assigned to {type.Name}.");
                case ValueFormat.Custom:
                    return FindByName(value.Serializer).Deserialize(value.Data.Memory, type);
                default:
                    return JsonSerializer.Deserialize(value.Data.Span, type, JsonOptions);
            }
        }
        catch (Exception ex) when (ex is not ValueSerializationException)
        {
            throw new ValueSerializationException(type, $"A value could not be read as '{type.FullName}': {ex.Message}", ex);
        }
    }

    private ISerializer FindByName(string name)
    {
        lock (_byName)
        {
            if (_byName.TryGetValue(name, out var found))
            {
                return found;
            }

            var created = _resolveByName?.Invoke(name)
                ?? throw new InvalidOperationException($"the value was written by serializer '{name}', which is not registered here.");
            _byName[name] = created;
            return created;
        }
    }
}
