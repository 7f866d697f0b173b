using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using MessagePack;

namespace Granary.Runtime.Serialization;

/// <summary>
/// What MessagePack's contractless layout writes and reads for one type, found by the same rules as its
/// <c>DynamicContractlessObjectResolver</c>, so both write the same bytes: public properties then public
/// fields, base types first, none marked <c>[IgnoreMember]</c> or <c>[IgnoreDataMember]</c>; each keyed by its
/// name. Reading uses the public constructor with the most parameters whose every parameter names a member
/// (ignoring case) of the same type (or the one marked <c>[SerializationConstructor]</c>), then the public
/// setters of the other members. Private members are left out, as System.Text.Json left them out before.
/// Immutable once made.
/// </summary>
internal sealed class ContractlessShape
{
    private readonly Type _type;
    private readonly ConstructorInfo? _constructor;
    private readonly int[] _constructorMembers;
    private readonly bool[] _setAfter;

    private ContractlessShape(Type type, ContractlessMember[] members, ConstructorInfo? constructor, int[] constructorMembers)
    {
        _type = type;
        Members = members;
        Written = [.. members.Where(m => m.CanRead)];
        _constructor = constructor;
        _constructorMembers = constructorMembers;
        _setAfter = [.. members.Select((m, i) => m.CanWrite && !constructorMembers.Contains(i))];
    }

    /// <summary>The members read back: constructor parameters and settable members.</summary>
    public ContractlessMember[] Members { get; }

    /// <summary>The members written, in order.</summary>
    public ContractlessMember[] Written { get; }

    /// <summary>Why <paramref name="type"/> cannot take the contractless layout; null when it can.</summary>
    public static string? Refusal(Type type) =>
        type.IsInterface ? $"'{type.FullName}' is an interface, and MessagePack writes a value by its declared type, so it could not be read back. Declare the concrete type."
        : type.IsAbstract ? $"'{type.FullName}' is abstract, and MessagePack writes a value by its declared type, so it could not be read back. Declare the concrete type."
        : typeof(Delegate).IsAssignableFrom(type) ? $"'{type.FullName}' is a delegate, which is code, not data."
        : typeof(MemberInfo).IsAssignableFrom(type) || typeof(Assembly).IsAssignableFrom(type) || typeof(Module).IsAssignableFrom(type)
            ? $"'{type.FullName}' is reflection metadata, not data."
        : type.IsPointer || type.IsByRefLike || type.IsGenericTypeDefinition || type.ContainsGenericParameters || type == typeof(IntPtr) || type == typeof(UIntPtr)
            ? $"'{type.FullName}' cannot be held in a value."
        : null;

    public static ContractlessShape Create(Type type, ValueResolver resolver)
    {
        var members = new List<ContractlessMember>();
        var byName = type.GetRuntimeProperties().Cast<MemberInfo>().Concat(type.GetRuntimeFields())
            .OrderBy(m => m.DeclaringType, BaseTypesFirst.Instance)
            .GroupBy(m => m.Name);
        foreach (var group in byName)
        {
            var first = true;
            foreach (var member in group)
            {
                if (member.IsDefined(typeof(IgnoreMemberAttribute), true) || member.IsDefined(typeof(IgnoreDataMemberAttribute), true))
                {
                    continue;
                }

                bool canRead, canWrite;
                if (member is PropertyInfo property)
                {
                    if (property.GetIndexParameters().Length > 0)
                    {
                        continue;
                    }

                    var getter = property.GetGetMethod(true);
                    var setter = property.GetSetMethod(true);
                    canRead = getter is { IsPublic: true, IsStatic: false };
                    canWrite = setter is { IsPublic: true, IsStatic: false };
                }
                else
                {
                    var field = (FieldInfo)member;
                    if (field.IsStatic || field.IsDefined(typeof(CompilerGeneratedAttribute), true))
                    {
                        continue;
                    }

                    canRead = field.IsPublic;
                    canWrite = field.IsPublic && !field.IsInitOnly;
                }

                if (!canRead && !canWrite)
                {
                    continue;
                }

                var key = first ? member.Name : $"{member.DeclaringType!.FullName}.{member.Name}";
                members.Add(new ContractlessMember(member, key, canRead, canWrite, resolver));
                first = false;
            }
        }

        var (constructor, parameters) = FindConstructor(type, members);

        // Kept: members a constructor takes and members that can be set; a member that can only be read is
        // not written, since it could not be read back.
        var kept = members.Select((m, i) => (Member: m, Index: i)).Where(x => x.Member.CanWrite || parameters.Contains(x.Index)).ToList();
        var position = kept.Select((x, i) => (x.Index, i)).ToDictionary(p => p.Index, p => p.i);
        return new ContractlessShape(type, [.. kept.Select(x => x.Member)], constructor, [.. parameters.Select(p => position[p])]);
    }

    /// <summary>The index of the member a key names, -1 for none.</summary>
    public int IndexOf(ReadOnlySpan<byte> keyUtf8)
    {
        var members = Members;
        for (var i = 0; i < members.Length; i++)
        {
            if (keyUtf8.SequenceEqual(members[i].KeyUtf8))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A new instance from the members read (<paramref name="read"/> says which were present).</summary>
    public object Create(object?[] values, bool[] read)
    {
        object instance;
        if (_constructor is null)
        {
            instance = Activator.CreateInstance(_type)!;
        }
        else
        {
            var arguments = new object?[_constructorMembers.Length];
            for (var i = 0; i < arguments.Length; i++)
            {
                // A parameter whose member was not in the bytes gets its default, as reflection passes null.
                var member = _constructorMembers[i];
                arguments[i] = read[member] ? values[member] : null;
            }

            instance = _constructor.Invoke(arguments);
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (read[i] && _setAfter[i])
            {
                Members[i].Set(instance, values[i]);
            }
        }

        return instance;
    }

    private static (ConstructorInfo? Constructor, int[] Members) FindConstructor(Type type, List<ContractlessMember> members)
    {
        var marked = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .SingleOrDefault(c => c.IsDefined(typeof(SerializationConstructorAttribute), false));
        var candidates = marked is not null ? [marked] : type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).ToArray();
        if (candidates.Length == 0)
        {
            // A struct needs no constructor: its members are set on the default value.
            return type.IsValueType ? (null, [])
                : throw new MessagePackSerializationException($"'{type.FullName}' has no public constructor, so it could not be read back.");
        }

        foreach (var candidate in candidates)
        {
            if (Match(candidate, members) is { } matched)
            {
                return (candidate, matched);
            }
        }

        throw new MessagePackSerializationException(
            $"No public constructor of '{type.FullName}' takes only its public members (matched by name and type), so it could not be read back; a parameterless one with public setters will do.");
    }

    private static int[]? Match(ConstructorInfo constructor, List<ContractlessMember> members)
    {
        var parameters = constructor.GetParameters();
        var matched = new int[parameters.Length];
        for (var p = 0; p < parameters.Length; p++)
        {
            var named = members.Select((m, i) => (Member: m, Index: i))
                .Where(x => string.Equals(x.Member.Key, parameters[p].Name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (named.Count != 1 || named[0].Member.Type != parameters[p].ParameterType || !named[0].Member.CanRead)
            {
                return null;
            }

            matched[p] = named[0].Index;
        }

        return matched;
    }

    /// <summary>Orders a type's base types before it, as MessagePack does, so inherited members come first.</summary>
    private sealed class BaseTypesFirst : IComparer<Type?>
    {
        public static readonly BaseTypesFirst Instance = new();

        public int Compare(Type? x, Type? y) =>
            x is null || y is null || x.IsEquivalentTo(y) ? 0
            : x.IsAssignableFrom(y) ? -1
            : y.IsAssignableFrom(x) ? 1
            : 0;
    }
}
