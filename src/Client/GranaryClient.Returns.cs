using System.Linq.Expressions;
using Granary.Grains;
using Granary.Runtime.Objects;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Ray's <c>num_returns</c>: runs a static method that returns exactly <paramref name="count"/> values and
    /// gives one ref per value, so each can be passed on, awaited or dropped on its own. The refs all become
    /// ready when the task ends; a task that fails, or returns another number of values, fails every one.
    /// Returns at once.
    /// </summary>
    public IReadOnlyList<ObjectRef<T>> RemoteMany<T>(Expression<Func<T[]>> call, int count, RemoteOptions? options = null) =>
        PartRefs<T>(Submit(call, options, enqueue: false, Returns(count)));

    /// <inheritdoc cref="RemoteMany{T}(Expression{Func{T[]}}, int, RemoteOptions?)"/>
    public IReadOnlyList<ObjectRef<T>> RemoteMany<T>(Expression<Func<IEnumerable<T>>> call, int count, RemoteOptions? options = null) =>
        PartRefs<T>(Submit(WithoutConversion(call), options, enqueue: false, Returns(count)));

    /// <inheritdoc cref="RemoteMany{T}(Expression{Func{T[]}}, int, RemoteOptions?)"/>
    public IReadOnlyList<ObjectRef<T>> RemoteMany<T>(Expression<Func<Task<T[]>>> call, int count, RemoteOptions? options = null) =>
        PartRefs<T>(Submit(call, options, enqueue: false, Returns(count)));

    /// <summary>Ray's <c>num_returns=2</c> for a method that returns a pair: one ref per item, each of its own type.</summary>
    public (ObjectRef<T1> First, ObjectRef<T2> Second) RemoteMany<T1, T2>(Expression<Func<(T1, T2)>> call, RemoteOptions? options = null) =>
        Pair<T1, T2>(Submit(call, options, enqueue: false, returns: 2));

    /// <inheritdoc cref="RemoteMany{T1, T2}(Expression{Func{ValueTuple{T1, T2}}}, RemoteOptions?)"/>
    public (ObjectRef<T1> First, ObjectRef<T2> Second) RemoteMany<T1, T2>(Expression<Func<Task<(T1, T2)>>> call, RemoteOptions? options = null) =>
        Pair<T1, T2>(Submit(call, options, enqueue: false, returns: 2));

    /// <summary>Ray's <c>num_returns=3</c> for a method that returns a triple: one ref per item, each of its own type.</summary>
    public (ObjectRef<T1> First, ObjectRef<T2> Second, ObjectRef<T3> Third) RemoteMany<T1, T2, T3>(Expression<Func<(T1, T2, T3)>> call, RemoteOptions? options = null) =>
        Triple<T1, T2, T3>(Submit(call, options, enqueue: false, returns: 3));

    /// <inheritdoc cref="RemoteMany{T1, T2, T3}(Expression{Func{ValueTuple{T1, T2, T3}}}, RemoteOptions?)"/>
    public (ObjectRef<T1> First, ObjectRef<T2> Second, ObjectRef<T3> Third) RemoteMany<T1, T2, T3>(Expression<Func<Task<(T1, T2, T3)>>> call, RemoteOptions? options = null) =>
        Triple<T1, T2, T3>(Submit(call, options, enqueue: false, returns: 3));

    private ObjectEntry[] ReturnEntries(string taskId, int count)
    {
        var parts = new ObjectEntry[count];
        for (var i = 0; i < count; i++)
        {
            parts[i] = new ObjectEntry(ReturnParts.ReturnId(taskId, i), _objects);
        }

        return parts;
    }

    private static int Returns(int count) => count >= 1
        ? count
        : throw new ArgumentOutOfRangeException(nameof(count), count, "A task with several returns needs a count of 1 or more; use Remote for a method with one result.");

    /// <summary>A method returning a list or a sequence reaches an IEnumerable lambda through a conversion; the call is what matters.</summary>
    private static LambdaExpression WithoutConversion<T>(Expression<Func<IEnumerable<T>>> call) =>
        call.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? Expression.Lambda(convert.Operand, call.Parameters) : call;

    private static ObjectRef<T>[] PartRefs<T>(ObjectEntry task) => [.. task.Parts!.Select(p => new ObjectRef<T>(p))];

    private static (ObjectRef<T1>, ObjectRef<T2>) Pair<T1, T2>(ObjectEntry task) =>
        (new ObjectRef<T1>(task.Parts![0]), new ObjectRef<T2>(task.Parts[1]));

    private static (ObjectRef<T1>, ObjectRef<T2>, ObjectRef<T3>) Triple<T1, T2, T3>(ObjectEntry task) =>
        (new ObjectRef<T1>(task.Parts![0]), new ObjectRef<T2>(task.Parts[1]), new ObjectRef<T3>(task.Parts[2]));
}
