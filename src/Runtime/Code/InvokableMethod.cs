using System.Reflection;

namespace Granary.Runtime.Code;

/// <summary>A resolved method or constructor with what it takes to call it and await its result. Immutable.</summary>
internal sealed class InvokableMethod
{
    public InvokableMethod(MethodBase method)
    {
        Method = method;
        ParameterTypes = method.GetParameters().Select(p => p.ParameterType).ToArray();
        Result = method is MethodInfo info ? ResultAdapter.For(info.ReturnType) : ResultAdapter.For(method.DeclaringType!);
    }

    public MethodBase Method { get; }

    public Type[] ParameterTypes { get; }

    public ResultAdapter Result { get; }

    public string DisplayName => $"{Method.DeclaringType?.Name}.{(Method is ConstructorInfo ? "ctor" : Method.Name)}";

    /// <summary>Calls the method (static, instance on <paramref name="target"/>, or constructor) and awaits what it returned.</summary>
    public ValueTask<object?> InvokeAsync(object? target, object?[] arguments)
    {
        object? returned;
        try
        {
            returned = Method is ConstructorInfo constructor
                ? constructor.Invoke(BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null)
                : Method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            return ValueTask.FromException<object?>(ex.InnerException);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<object?>(ex);
        }

        return Result.AwaitAsync(returned);
    }
}
