namespace Granary.Benchmarks;

/// <summary>The actor of the actor rows: Ray's small_value, a call that returns at once.</summary>
public sealed class Pinger
{
    public int Ping() => 0;

    public async Task<int> PingLater()
    {
        await Task.Yield();
        return 0;
    }
}
