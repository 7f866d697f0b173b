using System.Buffers;
using Google.Protobuf;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;
using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Turns user values into wire <see cref="Value"/>s and back: registered <see cref="ISerializer"/>s first,
/// raw bytes for byte[] and primitive arrays, MessagePack (contractless: no attributes on user types) for the
/// rest. One instance per job on a silo: its <see cref="ValueResolver"/> caches formatters for the job's
/// types, so it must die with the job's load context. ObjectRefs inside MessagePack values are written and
/// read by <see cref="ObjectRefFormatter{TRef, T}"/>, through <see cref="Owner"/>. Thread-safe.
/// </summary>
internal sealed class ValueSerializer
{
    private readonly IReadOnlyList<ISerializer> _custom;
    private readonly Func<string, ISerializer>? _resolveByName;
    private readonly Dictionary<string, ISerializer> _byName = new();
    private readonly ValueResolver _resolver;
    private readonly MessagePackSerializerOptions _options;

    /// <summary>
    /// How deeply a value may nest (objects and collections inside each other), writing or reading: far past any
    /// plain data, and well inside a thread's stack.
    /// </summary>
    public const int MaxDepth = 500;

    public ValueSerializer(IReadOnlyList<ISerializer>? custom = null, Func<string, ISerializer>? resolveByName = null)
    {
        _custom = custom ?? [];
        _resolveByName = resolveByName;
        foreach (var serializer in _custom)
        {
            _byName[SerializerName(serializer)] = serializer;
        }

        _resolver = new ValueResolver(() => Owner ?? DetachedObjects.Instance, FindCustom, FindByName);

        // No LZ4: values are mostly small and cross loopback or a LAN, where compressing costs more than it
        // saves. Trusted data (values come from the cluster's own processes), but nesting is bounded both ways:
        // trusted data alone has no depth limit, and a cycle would write until the stack overflowed.
        _options = MessagePackSerializerOptions.Standard
            .WithResolver(_resolver)
            .WithCompression(MessagePackCompression.None)
            .WithSecurity(MessagePackSecurity.TrustedData.WithMaximumObjectGraphDepth(MaxDepth));
    }

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
            if (FindCustom(type) is { } serializer)
            {
                var buffer = new ArrayBufferWriter<byte>();
                serializer.Serialize(buffer, value, type);
                return new Value { Format = ValueFormat.Custom, Serializer = SerializerName(serializer), Data = ByteString.CopyFrom(buffer.WrittenSpan) };
            }

            if (RawArrayCodec.IsRaw(value.GetType()))
            {
                // The element type travels along so a target declared as object or an interface can still decode it.
                return new Value { Format = ValueFormat.Raw, Data = RawArrayCodec.Encode(value, value.GetType()), Serializer = value.GetType().GetElementType()!.FullName! };
            }

            var bytes = _resolver.Codec(type).Serialize(value, _options);
            return new Value { Format = ValueFormat.MessagePack, Data = UnsafeByteOperations.UnsafeWrap(bytes) };
        }
        catch (OverflowException ex)
        {
            // Past 2 GiB of bytes: the size, not the type, is the problem, so the fix is about the size.
            throw new ValueSerializationException(type,
                $"A value of type '{type.FullName}' is too large to serialize in one piece (over 2 GiB). Values that large travel only as primitive arrays (int[], double[], ...): return or Put one, or split the value into several refs.", ex);
        }
        catch (Exception ex) when (ex is not ValueSerializationException)
        {
            throw new ValueSerializationException(type,
                $"A value of type '{type.FullName}' cannot be serialized: {Reason(ex)} Pass plain data (public properties or fields), or register an ISerializer for '{type.Name}'.", ex);
        }
    }

    /// <summary>
    /// Serializes a value that may be large (a Put): a raw array is copied once into segments, with no limit of
    /// one message or one byte array; anything else serializes as <see cref="Serialize"/> does. A raw array of
    /// more than <paramref name="rentAboveBytes"/> goes into arrays rented from <paramref name="pool"/>, which
    /// the caller gives back (<see cref="ValueBytes.ReturnRented"/>) once nothing reads them.
    /// </summary>
    public ValueBytes SerializeBytes(object? value, Type declaredType, ArrayPool<byte>? pool = null, long rentAboveBytes = 0)
    {
        if (value is null || !RawArrayCodec.IsRaw(value.GetType()) || FindCustom(declaredType == typeof(object) ? value.GetType() : declaredType) is not null)
        {
            return ValueBytes.From(Serialize(value, declaredType));
        }

        try
        {
            var rent = pool is not null && RawArrayCodec.ByteLength(value, value.GetType()) > rentAboveBytes;
            return RawArrayCodec.EncodeBytes(value, value.GetType(), rent ? pool : null);
        }
        catch (Exception ex) when (ex is OutOfMemoryException or OverflowException)
        {
            throw new ValueSerializationException(value.GetType(), $"A {value.GetType().Name} cannot be serialized: {ex.Message}", ex);
        }
    }

    public T Deserialize<T>(Value value) => (T)Deserialize(value, typeof(T))!;

    /// <summary>Reads a value held as segments: a raw array straight from them (one copy, any size), else as one wire value.</summary>
    public object? Deserialize(ValueBytes bytes, Type type)
    {
        try
        {
            return bytes.Format == ValueFormat.Raw && RawTarget(bytes.Serializer, type) is { } arrayType
                ? RawArrayCodec.Decode(bytes, arrayType)
                : Deserialize(bytes.ToValue(), type);
        }
        catch (Exception ex) when (ex is not ValueSerializationException)
        {
            throw new ValueSerializationException(type, $"A value could not be read as '{type.FullName}': {Reason(ex)}", ex);
        }
    }

    /// <summary>
    /// Where a streamed value should land, given its header: straight into the final array when it is a raw
    /// array the caller can take, else into bytes for <see cref="Finish"/> to decode. A null target keeps bytes.
    /// </summary>
    public ObjectSink CreateSink(Value header, long size, Type? target)
    {
        if (target is null || header.Format != ValueFormat.Raw || RawTarget(header.Serializer, target) is not { } arrayType)
        {
            return new BytesSink(header.Format, header.Serializer, size);
        }

        try
        {
            return RawArrayCodec.CreateSink(arrayType, size);
        }
        catch (Exception ex) when (ex is InvalidDataException or OutOfMemoryException)
        {
            throw new ValueSerializationException(target, $"A value could not be read as '{target.FullName}': {ex.Message}", ex);
        }
    }

    /// <summary>The value a completed sink holds, as <paramref name="target"/> (or as bytes when null).</summary>
    public object? Finish(ObjectSink sink, Type? target) => sink switch
    {
        BytesSink bytes when target is not null => Deserialize(bytes.Bytes(), target),
        _ => sink.Result,
    };

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
                case ValueFormat.MessagePack:
                    return _resolver.Codec(type).Deserialize(value.Data.Memory, _options);
                case ValueFormat.Json:
                    throw new InvalidOperationException("it was written as JSON by an earlier version of Granary, which this version no longer reads.");
                default:
                    throw new InvalidOperationException($"its format {value.Format} is unknown to this version of Granary.");
            }
        }
        catch (Exception ex) when (ex is not ValueSerializationException)
        {
            throw new ValueSerializationException(type, $"A value could not be read as '{type.FullName}': {Reason(ex)}", ex);
        }
    }

    /// <summary>
    /// What went wrong, without MessagePack's wrappers ("Failed to serialize ... value.", a type initializer
    /// that threw): the innermost message, which names the member type and the reason.
    /// </summary>
    private static string Reason(Exception exception)
    {
        while ((exception is MessagePackSerializationException or TypeInitializationException or System.Reflection.TargetInvocationException)
            && exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception.Message;
    }

    private ISerializer? FindCustom(Type type)
    {
        foreach (var serializer in _custom)
        {
            if (serializer.CanSerialize(type))
            {
                return serializer;
            }
        }

        return null;
    }

    /// <summary>The array type a raw value becomes for a caller asking for <paramref name="type"/>; null when it cannot.</summary>
    private static Type? RawTarget(string elementTypeName, Type type) =>
        RawArrayCodec.IsRaw(type) ? type
        : RawArrayCodec.ArrayTypeOf(elementTypeName) is { } arrayType && type.IsAssignableFrom(arrayType) ? arrayType
        : null;

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
