using System.Collections.Concurrent;
using System.Reflection;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>
/// A task's GPU memory request: its job type (GLB's <c>file::function</c> descriptor, here the method's
/// assembly, type, name and parameter types, and the caller's key when one method does different sizes of
/// work), the bytes when they are declared, and the stand-in that profiles it in its place.
/// </summary>
internal static class GpuJobTypes
{
    private static readonly ConcurrentDictionary<MethodBase, string> _names = new();

    /// <summary>The request for <paramref name="method"/> under <paramref name="options"/>; null when it packs by logical GPUs or asks none.</summary>
    public static GpuMemoryRequest? RequestFor(RemoteOptions options, MethodBase method)
    {
        var memory = options.EffectiveGpuMemory;
        var attribute = method.GetCustomAttribute<ProfileGpuMemoryAttribute>();
        if (memory is null && attribute is not null)
        {
            if (options.Gpus > 0)
            {
                // The options ask for logical GPUs; they win over the method's attribute.
                return null;
            }

            memory = attribute.Key is null ? GpuMemory.Profiled : GpuMemory.ProfiledAs(attribute.Key);
        }

        if (memory is null)
        {
            return null;
        }

        var type = JobType(method, memory.ProfileKey);
        return memory.IsProfiled
            ? new GpuMemoryRequest { JobType = type }
            : new GpuMemoryRequest { JobType = type + "@" + memory.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), Bytes = memory.Bytes };
    }

    /// <summary>The job type of <paramref name="method"/>: <c>Assembly::Namespace.Type.Method(ParamType, ...)</c>, then <c>#key</c>.</summary>
    public static string JobType(MethodBase method, string? key)
    {
        var name = _names.GetOrAdd(method, static m =>
        {
            var parameters = string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name));
            return $"{m.DeclaringType?.Assembly.GetName().Name}::{m.DeclaringType?.FullName}.{m.Name}({parameters})";
        });
        return key is null ? name : $"{name}#{key}";
    }

    /// <summary>
    /// The stand-in named by the method's <see cref="ProfileGpuMemoryAttribute.StandIn"/>, as a method reference;
    /// null without one. Throws naming the fix when it is missing or does not take the same parameters.
    /// </summary>
    public static MethodRef? StandInFor(MethodBase method)
    {
        if (method.GetCustomAttribute<ProfileGpuMemoryAttribute>()?.StandIn is not { Length: > 0 } name)
        {
            return null;
        }

        var parameters = method.GetParameters().Select(p => p.ParameterType).ToArray();
        var standIn = method.DeclaringType?.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, parameters);
        if (standIn is null)
        {
            throw new ArgumentException(
                $"[ProfileGpuMemory(StandIn = \"{name}\")] on {method.DeclaringType?.Name}.{method.Name} names no static method {name}({string.Join(", ", parameters.Select(p => p.Name))}) of {method.DeclaringType?.Name}: the stand-in must take the same parameters.",
                nameof(method));
        }

        return MethodRefs.From(standIn);
    }
}
