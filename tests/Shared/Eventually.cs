namespace Granary.Testing;

/// <summary>
/// The one polling loop of the tests: waits until a condition about observable state holds, and fails with
/// a <see cref="TimeoutException"/> saying what was expected (and, when given, what was seen) if it does not
/// within the bound. A condition that throws fails at once.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string because, Func<string>? seen = null) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, because, seen);

    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string because, Func<string>? seen = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // A condition that itself hangs (a call to a stuck cluster) is bounded too, by no less than any other wait.
            if (await condition().WithTimeout(timeout > Bounded.Default ? timeout : Bounded.Default, "checking: " + because).ConfigureAwait(false))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Not true within {timeout.TotalSeconds:0.#} s: {because}{(seen is null ? string.Empty : $" (seen: {seen()})")}");
            }

            await Task.Delay(Poll).ConfigureAwait(false);
        }
    }
}
