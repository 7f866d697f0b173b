using System.Diagnostics;
using BatchInference;
using Training;

namespace Granary.Benchmarks;

/// <summary>
/// The TorchSharp rows, on an embedded cluster of their own (2 worker silos with one simulated GPU each):
/// samples/Training's data-parallel step on 2 ranks beside the same step in one process (milliseconds a
/// step, lower is better; the ratio is the figure: what the all-reduce and the split cost or save), and
/// samples/BatchInference's model scoring a million rows through MapBatches over 2 replicas beside the same
/// model scoring them in this process (rows a second; the ratio is the figure).
/// </summary>
internal static class TorchRows
{
    public const string TrainingTwoRanks = "training_step_2_ranks_ms";
    public const string TrainingOneProcess = "training_step_one_process_ms";

    public const string BatchInferenceMapBatches = "batch_inference_rows_per_second";
    public const string BatchInferenceOneProcess = "batch_inference_one_process_rows_per_second";

    public static readonly string[] Names = [TrainingTwoRanks, TrainingOneProcess, BatchInferenceMapBatches, BatchInferenceOneProcess];

    public static async Task<Dictionary<string, double>> RunAsync(IReadOnlySet<string>? only, bool quick, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        if (only is not null && !Names.Any(only.Contains))
        {
            return figures;
        }

        // Each rank times its own steps after the launch has started, so process start and libtorch's load are left out.
        var config = new TrainingConfig(Samples: 16_384, Features: 64, Hidden: 256, Steps: quick ? 10 : 100);
        await using (var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 1, GpusPerSilo = 1, GpuType = "bench" }, cancellationToken))
        {
            var ranks = await client.Distributed(new DistributedOptions { Gpus = 2, GpuType = "bench" })
                .RunAsync(ctx => DataParallelTraining.TrainAsync(ctx, config), cancellationToken);
            figures[TrainingTwoRanks] = ranks.Max(r => r.StepMilliseconds);
        }

        figures[TrainingOneProcess] = DataParallelTraining.SingleProcess(config).StepMilliseconds;

        var rows = quick ? 100_000L : 1_000_000L;
        const int batchSize = 10_000;
        await using (var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 }, cancellationToken))
        {
            // Replicas load their model before the clock starts: one warm-up map, then the timed one.
            var pool = new ActorPoolOptions { Min = 2, Max = 2, Cpus = 1 };
            await ScoreAllAsync(client, batchSize * 4L, batchSize, pool, cancellationToken);
            var clock = Stopwatch.StartNew();
            var scored = await ScoreAllAsync(client, rows, batchSize, pool, cancellationToken);
            figures[BatchInferenceMapBatches] = scored / clock.Elapsed.TotalSeconds;
        }

        using var local = new ScoringModel(BatchInferenceDemo.Features, BatchInferenceDemo.Seed);
        var here = Stopwatch.StartNew();
        var count = BatchInferenceDemo.ScoreInProcess(local, rows, batchSize);
        figures[BatchInferenceOneProcess] = count / here.Elapsed.TotalSeconds;
        return figures;
    }

    private static async Task<long> ScoreAllAsync(GranaryClient client, long rows, int batchSize, ActorPoolOptions pool, CancellationToken cancellationToken)
    {
        var scored = 0L;
        await foreach (var batch in client.MapBatches(RowSource.Rows(rows, BatchInferenceDemo.Features), batchSize, pool,
            () => new ScoringModel(BatchInferenceDemo.Features, BatchInferenceDemo.Seed), (model, chunk) => model.Score(chunk), cancellationToken))
        {
            scored += batch.Scores.Length;
        }

        return scored;
    }
}
