using System.Linq.Expressions;
using Granary.Client.Submission;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Ray's streaming generator: runs a static method that returns <see cref="IAsyncEnumerable{T}"/> and
    /// gives each item's ref as soon as the task has produced it, while the task still runs. A task that
    /// fails part way ends the stream with its failure after the items it produced; a retried task
    /// continues the stream where the reader is (its items are expected to be the same, as in Ray).
    /// Returns at once.
    /// </summary>
    public ObjectRefStream<T> Stream<T>(Expression<Func<IAsyncEnumerable<T>>> call, RemoteOptions? options = null) => StreamCore<T>(call, options);

    /// <summary>The same for a method that returns <see cref="IEnumerable{T}"/> (an iterator with <c>yield return</c>).</summary>
    public ObjectRefStream<T> Stream<T>(Expression<Func<IEnumerable<T>>> call, RemoteOptions? options = null) => StreamCore<T>(WithoutConversion(call), options);

    private ObjectRefStream<T> StreamCore<T>(LambdaExpression call, RemoteOptions? options)
    {
        var location = new StreamLocation();
        var task = Submit(call, options, enqueue: false, returns: 0, location);
        return new ObjectRefStream<T>(task, location, _objects);
    }
}
