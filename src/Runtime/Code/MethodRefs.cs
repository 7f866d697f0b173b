using System.Reflection;
using System.Runtime.Loader;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Code;

/// <summary>
/// Names a method so another process holding the same assembly bytes finds exactly it: the declaring
/// type by assembly-qualified name and the method by metadata token (overloads cannot be confused).
/// </summary>
internal static class MethodRefs
{
    public static MethodRef From(MethodBase method)
    {
        var type = method.DeclaringType ?? throw new ArgumentException($"{method.Name} has no declaring type; only methods of a class or struct can run remotely.");
        var reference = new MethodRef
        {
            Assembly = type.Assembly.FullName ?? type.Assembly.GetName().Name!,
            Type = type.AssemblyQualifiedName ?? type.FullName!,
            Token = method.MetadataToken,
            DisplayName = $"{type.Name}.{(method is ConstructorInfo ? "ctor" : method.Name)}",
        };
        if (method.IsGenericMethod)
        {
            reference.GenericArguments.AddRange(method.GetGenericArguments().Select(a => a.AssemblyQualifiedName ?? a.FullName!));
        }

        return reference;
    }

    /// <summary>Finds the method in <paramref name="context"/>; failures name the missing type, assembly or method.</summary>
    public static MethodBase Resolve(MethodRef reference, AssemblyLoadContext context)
    {
        using var scope = context.EnterContextualReflection();
        var type = ResolveType(reference.Type, reference.DisplayName);
        MethodBase? method;
        try
        {
            method = type.Module.ResolveMethod(reference.Token);
        }
        catch (ArgumentException ex)
        {
            throw new CodeLoadException($"Method {reference.DisplayName} (token 0x{reference.Token:x8}) was not found in '{type.Assembly.FullName}': the node has different bytes for that assembly than the client.", ex);
        }

        if (method is null)
        {
            throw new CodeLoadException($"Method {reference.DisplayName} was not found in type '{type.FullName}'.");
        }

        if (type.IsConstructedGenericType)
        {
            method = MethodBase.GetMethodFromHandle(method.MethodHandle, type.TypeHandle)!;
        }

        if (reference.GenericArguments.Count > 0)
        {
            var arguments = reference.GenericArguments.Select(a => ResolveType(a, reference.DisplayName)).ToArray();
            method = ((MethodInfo)method).MakeGenericMethod(arguments);
        }

        return method;
    }

    public static Type ResolveType(string assemblyQualifiedName, string neededBy)
    {
        try
        {
            return Type.GetType(assemblyQualifiedName, throwOnError: true)!;
        }
        catch (FileNotFoundException ex)
        {
            throw new CodeLoadException($"Assembly '{ex.FileName}' needed by {neededBy} is not on this node: it was neither shipped with the job nor part of the silo.", ex);
        }
        catch (Exception ex) when (ex is TypeLoadException or FileLoadException or BadImageFormatException)
        {
            throw new CodeLoadException($"Type '{assemblyQualifiedName}' needed by {neededBy} could not be loaded: {ex.Message}", ex);
        }
    }
}
