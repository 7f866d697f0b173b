using Granary;

namespace Training;

/// <summary>
/// The sample end to end: an embedded cluster (a head and two worker silos in this process, each offering
/// one simulated GPU), one rank per GPU in a worker process of its silo, then the same training in this
/// process; it prints what happened and says whether every claim held. Without CUDA (TorchSharp-cpu,
/// simulated GPUs) each rank computes on the CPU; with CUDA, on its GPU.
/// </summary>
public static class TrainingDemo
{
    /// <summary>How far the distributed weights may be from single-process training's (float rounding of the reductions).</summary>
    public const double Tolerance = 1e-4;

    public static async Task<bool> RunAsync(TextWriter output, TrainingConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2, GpusPerSilo = 1, GpuType = "H100" }, cancellationToken);

        var ranks = await cluster.Distributed(new DistributedOptions { Gpus = 2, GpuType = "H100" })
            .RunAsync(ctx => DataParallelTraining.TrainAsync(ctx, config), cancellationToken);
        foreach (var rank in ranks)
        {
            output.WriteLine($"rank {rank.Rank} on {rank.NodeId}: loss {rank.FirstLoss:0.0000} -> {rank.LastLoss:0.0000}, {rank.StepMilliseconds:0.00} ms a step");
        }

        var reference = DataParallelTraining.SingleProcess(config);
        output.WriteLine($"one process: loss {reference.FirstLoss:0.0000} -> {reference.LastLoss:0.0000}, {reference.StepMilliseconds:0.00} ms a step");

        // The claims, checked: the loss fell, the ranks agree exactly, and they match one process within the tolerance.
        var spread = ranks.Skip(1).Select(r => MaxDifference(r.Weights, ranks[0].Weights)).DefaultIfEmpty(0).Max();
        var offReference = MaxDifference(ranks[0].Weights, reference.Weights);
        output.WriteLine($"weights: {ranks[0].Weights.Length} values; largest difference between ranks {spread:E1}, from one process {offReference:E1} (tolerance {Tolerance:E0})");
        var ok = ranks.Count == 2 && ranks[0].NodeId != ranks[1].NodeId && ranks[0].LastLoss < ranks[0].FirstLoss / 2 && spread == 0 && offReference <= Tolerance;
        output.WriteLine(ok ? "Training converged, every rank holds the same weights, and they equal single-process training." : "Training did not do what it should!");
        return ok;
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
