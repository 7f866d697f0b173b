using Granary;

namespace QuickStart;

/// <summary>
/// The quick start's "Spread" and "Pack" lines: two tasks under one placement strategy, and the nodes they
/// ran on. Each run starts on an idle cluster, because leases that earlier calls still hold (or that the
/// head has not yet heard were given back) would make a node look busy and skew the choice; and its two
/// tasks hold their CPUs until both run, so both are placed while the other is running.
/// </summary>
public static class PlacementDemo
{
    private static readonly TimeSpan IdleBound = TimeSpan.FromSeconds(10);

    public static async Task<string[]> RunAsync(GranaryClient cluster, RemoteOptions? options = null)
    {
        await UntilIdleAsync(cluster);
        var meetingPoint = Directory.CreateTempSubdirectory("granary-quickstart-");
        try
        {
            var path = meetingPoint.FullName;
            return await cluster.GetAllAsync(cluster.Map(Enumerable.Range(0, 2), _ => MathJobs.HoldUntilAllStarted(path, 2), options));
        }
        finally
        {
            meetingPoint.Delete(recursive: true);
        }
    }

    /// <summary>Waits (at most 10 s, as others' work may keep a shared cluster busy) until every live node has all its resources free.</summary>
    private static async Task UntilIdleAsync(GranaryClient cluster)
    {
        var deadline = DateTime.UtcNow + IdleBound;
        while (DateTime.UtcNow < deadline)
        {
            var nodes = await cluster.GetNodesAsync();
            if (nodes.Where(n => n.Alive).All(n => n.Total.All(t => Math.Abs(n.Available.GetValueOrDefault(t.Key) - t.Value) < 1e-9)))
            {
                return;
            }

            await Task.Delay(20);
        }
    }
}
