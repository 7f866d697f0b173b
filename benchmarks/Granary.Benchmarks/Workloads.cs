namespace Granary.Benchmarks;

/// <summary>The remote functions and actors the rows call: no-ops, so the figures measure Granary itself.</summary>
public static class Workloads
{
    public static int Noop() => 0;
}

public sealed class Pinger
{
    public int Ping() => 0;

    public async Task<int> PingLater()
    {
        await Task.Yield();
        return 0;
    }
}
