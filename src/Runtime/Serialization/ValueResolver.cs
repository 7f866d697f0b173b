using System.Collections.Concurrent;
using Granary.Runtime.Objects;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.ImmutableCollection;
using MessagePack.Resolvers;

namespace Granary.Runtime.Serialization;

/// <summary>
/// Finds the MessagePack formatter of each type in a value: ObjectRefs as <see cref="ObjectRefFormatter{TRef, T}"/>,
/// actor handles as <see cref="ActorHandleFormatter{THandle}"/>, object-typed slots by their runtime type (<see cref="BoxedFormatter"/>), then MessagePack's own resolvers in
/// <c>ContractlessStandardResolver</c>'s order (built-in types, <c>[MessagePackFormatter]</c>, immutable and
/// generic collections, tuples, enums, nullables), and any other plain type as MessagePack's contractless layout
/// (<see cref="ContractlessFormatter{T}"/>). It leaves out the resolvers of that chain that emit code at run
/// time (dynamic object, contractless object and union resolvers; see <see cref="ContractlessFormatter{T}"/>
/// for why), and its ExpandoObject support.
/// Types a registered <see cref="ISerializer"/> takes are written by it (<see cref="CustomValueFormatter{T}"/>).
/// One per <see cref="ValueSerializer"/>, so what it caches about a job's types dies with the job. Thread-safe.
/// </summary>
internal sealed class ValueResolver(Func<IObjectOwner> owner, Func<Type, ISerializer?>? findCustom = null, Func<string, ISerializer>? findByName = null) : IFormatterResolver
{
    private static readonly IFormatterResolver[] _standard =
    [
        BuiltinResolver.Instance,
        AttributeFormatterResolver.Instance,
        ImmutableCollectionResolver.Instance,
        DynamicGenericResolver.Instance,
    ];

    private readonly ConcurrentDictionary<Type, object> _formatters = new();
    private readonly ConcurrentDictionary<Type, BoxedCodec> _codecs = new();

    public IMessagePackFormatter<T> GetFormatter<T>() =>
        (IMessagePackFormatter<T>)(_formatters.TryGetValue(typeof(T), out var found) ? found : _formatters.GetOrAdd(typeof(T), Create<T>()));

    /// <summary>The codec that writes and reads values of <paramref name="type"/> boxed.</summary>
    public BoxedCodec Codec(Type type) =>
        _codecs.TryGetValue(type, out var found) ? found
        : _codecs.GetOrAdd(type, static t => (BoxedCodec)Activator.CreateInstance(typeof(BoxedCodec<>).MakeGenericType(t))!);

    private object Create<T>()
    {
        var type = typeof(T);
        if (type == typeof(ObjectRef) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ObjectRef<>)))
        {
            // The untyped ObjectRef reads back as ObjectRef<object>: the bytes do not name the value's type.
            var valueType = type == typeof(ObjectRef) ? typeof(object) : type.GetGenericArguments()[0];
            return Activator.CreateInstance(typeof(ObjectRefFormatter<,>).MakeGenericType(type, valueType), owner)!;
        }

        if (type == typeof(object))
        {
            return new BoxedFormatter(this);
        }

        // A registered serializer's type inside a value (a tensor in a record) travels as that serializer writes it.
        if (findCustom?.Invoke(type) is { } custom && findByName is not null)
        {
            return new CustomValueFormatter<T>(custom, findByName);
        }

        if (type.IsClass && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IActorHandleValue<>)))
        {
            return Activator.CreateInstance(typeof(ActorHandleFormatter<>).MakeGenericType(type), owner)!;
        }

        foreach (var resolver in _standard)
        {
            if (resolver.GetFormatter<T>() is { } formatter)
            {
                return formatter;
            }
        }

        return ContractlessShape.Refusal(type) is { } reason
            ? new RefusedFormatter<T>(reason)
            : new ContractlessFormatter<T>(this);
    }
}
