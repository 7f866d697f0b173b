namespace Granary.Client.Tests;

/// <summary>
/// Forces collections so finalizers run (an ObjectEntry's finalizer is how an owner learns a ref was
/// dropped), giving the batched frees that follow time to reach the silos.
/// </summary>
internal static class Collector
{
    public static async Task CollectAsync(int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }
    }

    /// <summary>Collects until <paramref name="done"/> holds, for at most 100 rounds (5 s); the caller asserts afterwards.</summary>
    public static async Task CollectUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 100 && !done(); i++)
        {
            await CollectAsync(1);
        }
    }
}
