using Granary;

namespace ModelServer;

/// <summary>
/// The sample end to end on an embedded cluster (a head and two worker silos in this process): a server on
/// each worker node, scoring tasks spread over the nodes, each served on its own node, then the shutdown.
/// </summary>
public static class ModelServerDemo
{
    public const int Features = 8;

    public static async Task<bool> RunAsync(TextWriter output, int batches = 40, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 }, cancellationToken);
        var servers = await ModelServers.StartOnEveryNodeAsync(cluster, Features, seed: 11, cancellationToken);
        output.WriteLine($"servers: {string.Join(", ", servers.Select(s => $"{s.Value.Name} on {s.Value.NodeId}"))}");

        var random = new Random(5);
        var inputs = Enumerable.Range(0, batches).Select(i => (i, Enumerable.Range(0, 16 * Features).Select(_ => (float)random.NextDouble()).ToArray())).ToList();
        var spread = new RemoteOptions { Placement = SpreadPlacement.Instance };
        var scored = await cluster.GetAllAsync(cluster.StarMap(inputs, (i, rows) => ScoringJobs.ScoreAsync(i, rows), spread), cancellationToken);

        var crossed = scored.Count(s => s.TaskNode != s.ServerNode);
        foreach (var node in scored.GroupBy(s => s.TaskNode))
        {
            output.WriteLine($"{node.Key}: {node.Count()} batches scored, served on {string.Join(", ", node.Select(s => s.ServerNode).Distinct())}");
        }

        var answered = await ModelServers.StopAllAsync(cluster, servers, cancellationToken);
        output.WriteLine($"shutdown: {string.Join(", ", answered.Select(a => $"{a.Key} answered {a.Value}"))}");
        var ok = crossed == 0 && scored.Select(s => s.TaskNode).Distinct().Count() == servers.Count && answered.Values.Sum() == batches;
        output.WriteLine(ok ? "Every request was served on its task's own node, and every server stopped." : $"{crossed} requests crossed nodes!");
        return ok;
    }
}
