using System.Runtime.CompilerServices;

namespace Granary.Testing;

/// <summary>
/// Every wait in the tests goes through here, so a regression that never completes fails that one test with
/// a <see cref="TimeoutException"/> naming what was awaited (the caller's expression), instead of hanging
/// the whole run. <c>await client.Remote(...).WithTimeout()</c>; a longer bound where a test needs one.
/// </summary>
internal static class Bounded
{
    /// <summary>Far above what any awaited step takes on a loaded machine, far below a hung run.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    public static async Task WithTimeout(this Task task, TimeSpan? bound = null, [CallerArgumentExpression(nameof(task))] string what = "")
    {
        var limit = bound ?? Default;
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!IsOwn(task, ex))
        {
            throw Expired(what, limit);
        }
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? bound = null, [CallerArgumentExpression(nameof(task))] string what = "")
    {
        var limit = bound ?? Default;
        try
        {
            return await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!IsOwn(task, ex))
        {
            throw Expired(what, limit);
        }
    }

    public static Task WithTimeout(this ValueTask task, TimeSpan? bound = null, [CallerArgumentExpression(nameof(task))] string what = "") =>
        task.AsTask().WithTimeout(bound, what);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? bound = null, [CallerArgumentExpression(nameof(task))] string what = "") =>
        task.AsTask().WithTimeout(bound, what);

    /// <summary>The ref's value, fetched: what <c>await reference</c> does.</summary>
    public static Task<T> WithTimeout<T>(this ObjectRef<T> reference, TimeSpan? bound = null, [CallerArgumentExpression(nameof(reference))] string what = "") =>
        reference.GetAsync().AsTask().WithTimeout(bound, what);

    /// <summary>Waits for an untyped ref: what <c>await reference</c> does.</summary>
    public static Task WithTimeout(this ObjectRef reference, TimeSpan? bound = null, [CallerArgumentExpression(nameof(reference))] string what = "") =>
        reference.WaitAsync().WithTimeout(bound, what);

    /// <summary>
    /// Disposal is a wait too (stopping a cluster drains it): <c>await using var stop = client.DisposeWithin();</c>
    /// in place of <c>await using var client = ...</c>.
    /// </summary>
    public static BoundedDisposal DisposeWithin(this IAsyncDisposable target, TimeSpan? bound = null, [CallerArgumentExpression(nameof(target))] string what = "") =>
        new(target, bound, what);

    /// <summary>True when the task itself failed with this timeout (a timeout the code under test raised, not ours).</summary>
    private static bool IsOwn(Task task, TimeoutException ex) => task.IsFaulted && task.Exception.InnerExceptions.Contains(ex);

    private static TimeoutException Expired(string what, TimeSpan limit) =>
        new($"`{what}` did not finish within {limit.TotalSeconds:0.#} s.");

    /// <summary>Disposes its target under <see cref="WithTimeout(Task, TimeSpan?, string)"/>.</summary>
    public readonly struct BoundedDisposal(IAsyncDisposable target, TimeSpan? bound, string what) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(target.DisposeAsync().WithTimeout(bound, what + ".DisposeAsync()"));
    }
}
