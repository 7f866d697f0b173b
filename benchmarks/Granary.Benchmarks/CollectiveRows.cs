namespace Granary.Benchmarks;

/// <summary>
/// The collective rows: ring all-reduce of 1 MiB and 64 MiB of floats across 2 and 4 ranks on an embedded
/// cluster of its own (2 worker silos with 2 simulated GPUs each; Pack puts 2 ranks on one node, 4 on both).
/// Figures are algorithm bandwidth, bytes reduced per second (NCCL's algbw; bus bandwidth is 2(N-1)/N of it).
/// </summary>
internal static class CollectiveRows
{
    public static readonly string[] Names = [Name(1, 2), Name(64, 2), Name(1, 4), Name(64, 4)];

    public static async Task<Dictionary<string, double>> RunAsync(IReadOnlySet<string>? only, bool quick, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var wanted = Names.Where(n => only is null || only.Contains(n)).ToList();
        if (wanted.Count == 0)
        {
            return figures;
        }

        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2, GpusPerSilo = 2, GpuType = "bench" }, cancellationToken);
        foreach (var (mib, ranks) in new[] { (1, 2), (64, 2), (1, 4), (64, 4) })
        {
            if (!wanted.Contains(Name(mib, ranks)))
            {
                continue;
            }

            var bytes = mib << 20;
            var rounds = quick ? 3 : (mib == 1 ? 21 : 7);
            var seconds = await client.Distributed(new DistributedOptions { Gpus = ranks, GpuType = "bench", CpusPerRank = 0.5 })
                .RunAsync(ctx => CollectiveJobs.TimeAllReduce(ctx, bytes, 2, rounds), cancellationToken);
            figures[Name(mib, ranks)] = bytes / seconds[0] / 1e9;
        }

        return figures;
    }

    private static string Name(int mib, int ranks) => $"allreduce_{mib}mib_{ranks}_ranks_gigabytes";
}
