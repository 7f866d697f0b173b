using Training;

namespace Granary.Benchmarks;

/// <summary>
/// The TorchSharp rows, on an embedded cluster of their own (2 worker silos with one simulated GPU each):
/// samples/Training's data-parallel step on 2 ranks beside the same step in one process (milliseconds a
/// step, lower is better; the ratio is the figure: what the all-reduce and the split cost or save).
/// </summary>
internal static class TorchRows
{
    public const string TrainingTwoRanks = "training_step_2_ranks_ms";
    public const string TrainingOneProcess = "training_step_one_process_ms";

    public static readonly string[] Names = [TrainingTwoRanks, TrainingOneProcess];

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
        return figures;
    }
}
