namespace Granary.Benchmarks;

/// <summary>
/// The collective rows: ring all-reduce of 1 MiB and 64 MiB of floats across 2 and 4 ranks on an embedded
/// cluster of its own (2 worker silos with 2 simulated GPUs each; Pack puts 2 ranks on one node, 4 on both).
/// Each shape runs over direct TCP links between the ranks (the default) and through the silos (`_through_silos`).
/// Figures are algorithm bandwidth, bytes reduced per second (NCCL's algbw; bus bandwidth is 2(N-1)/N of it).
/// </summary>
internal static class CollectiveRows
{
    private static readonly (int MiB, int Ranks, CollectiveTransport Transport)[] Shapes =
    [
        .. new[] { CollectiveTransport.Direct, CollectiveTransport.Silos }.SelectMany(t => new[] { (1, 2, t), (64, 2, t), (1, 4, t), (64, 4, t) }),
    ];

    public static readonly string[] Names = [.. Shapes.Select(s => Name(s.MiB, s.Ranks, s.Transport))];

    public static async Task<Dictionary<string, double>> RunAsync(IReadOnlySet<string>? only, bool quick, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var wanted = Names.Where(n => only is null || only.Contains(n)).ToList();
        if (wanted.Count == 0)
        {
            return figures;
        }

        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2, GpusPerSilo = 2, GpuType = "bench" }, cancellationToken);
        foreach (var (mib, ranks, transport) in Shapes)
        {
            var name = Name(mib, ranks, transport);
            if (!wanted.Contains(name))
            {
                continue;
            }

            var bytes = mib << 20;
            var rounds = quick ? 3 : (mib == 1 ? 21 : 7);
            var seconds = await client.Distributed(new DistributedOptions { Gpus = ranks, GpuType = "bench", CpusPerRank = 0.5, CollectiveTransport = transport })
                .RunAsync(ctx => CollectiveJobs.TimeAllReduce(ctx, bytes, 2, rounds), cancellationToken);
            figures[name] = bytes / seconds[0] / 1e9;
        }

        return figures;
    }

    // The default transport has the issue's row name; the relayed path is a row of its own.
    private static string Name(int mib, int ranks, CollectiveTransport transport) =>
        $"allreduce_{mib}mib_{ranks}_ranks_gigabytes{(transport == CollectiveTransport.Silos ? "_through_silos" : string.Empty)}";
}
