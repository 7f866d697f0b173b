namespace Granary.Runtime.Code;

/// <summary>
/// Turns what a user method returned (T, Task, Task&lt;T&gt;, ValueTask, ValueTask&lt;T&gt; or nothing) into
/// its eventual value, without reflection on the hot path: one closed generic adapter per return type.
/// </summary>
internal abstract class ResultAdapter
{
    /// <summary>The type of the eventual value; typeof(void) when there is none.</summary>
    public abstract Type ValueType { get; }

    public abstract ValueTask<object?> AwaitAsync(object? returned);

    /// <summary>True when the method returns its value (or nothing) directly: it holds its thread until it is done.</summary>
    public bool Synchronous => this is Immediate;

    public static ResultAdapter For(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return new Immediate(typeof(void));
        }

        if (returnType == typeof(Task))
        {
            return new PlainTask();
        }

        if (returnType == typeof(ValueTask))
        {
            return new PlainValueTask();
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            var argument = returnType.GetGenericArguments()[0];
            if (definition == typeof(Task<>))
            {
                return (ResultAdapter)Activator.CreateInstance(typeof(TaskOf<>).MakeGenericType(argument))!;
            }

            if (definition == typeof(ValueTask<>))
            {
                return (ResultAdapter)Activator.CreateInstance(typeof(ValueTaskOf<>).MakeGenericType(argument))!;
            }
        }

        return new Immediate(returnType);
    }

    private sealed class Immediate(Type valueType) : ResultAdapter
    {
        public override Type ValueType { get; } = valueType;

        public override ValueTask<object?> AwaitAsync(object? returned) => new(returned);
    }

    private sealed class PlainTask : ResultAdapter
    {
        public override Type ValueType => typeof(void);

        public override async ValueTask<object?> AwaitAsync(object? returned)
        {
            await ((Task)returned!).ConfigureAwait(false);
            return null;
        }
    }

    private sealed class PlainValueTask : ResultAdapter
    {
        public override Type ValueType => typeof(void);

        public override async ValueTask<object?> AwaitAsync(object? returned)
        {
            await ((ValueTask)returned!).ConfigureAwait(false);
            return null;
        }
    }

    private sealed class TaskOf<T> : ResultAdapter
    {
        public override Type ValueType => typeof(T);

        public override ValueTask<object?> AwaitAsync(object? returned)
        {
            var task = (Task<T>)returned!;
            return task.IsCompletedSuccessfully ? new ValueTask<object?>(task.Result) : Slow(task);

            static async ValueTask<object?> Slow(Task<T> task) => await task.ConfigureAwait(false);
        }
    }

    private sealed class ValueTaskOf<T> : ResultAdapter
    {
        public override Type ValueType => typeof(T);

        public override ValueTask<object?> AwaitAsync(object? returned)
        {
            var task = (ValueTask<T>)returned!;
            return task.IsCompletedSuccessfully ? new ValueTask<object?>(task.Result) : Slow(task);

            static async ValueTask<object?> Slow(ValueTask<T> task) => await task.ConfigureAwait(false);
        }
    }
}
