using TorchSharp;
using static TorchSharp.torch;

namespace Training;

/// <summary>
/// The same data set in every process: generated from the seed alone, so each rank can take its own shard
/// without any data being shipped, and the single-process run sees exactly the union of the shards.
/// </summary>
public static class SyntheticData
{
    /// <summary>Rows <c>[from, from + count)</c> of the set: inputs in [-1, 1], targets a fixed smooth function of them plus noise.</summary>
    public static (Tensor X, Tensor Y) Rows(TrainingConfig config, long from, long count)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var generator = new Generator((ulong)config.Seed);
        using var all = torch.rand(config.Samples, config.Features, generator: generator) * 2 - 1;
        using var direction = torch.rand(config.Features, 1, generator: generator) - 0.5;
        using var noise = torch.randn(config.Samples, 1, generator: generator) * 0.01;
        using var target = torch.sin(all.matmul(direction) * 3) + noise;
        return (all.narrow(0, from, count).clone(), target.narrow(0, from, count).clone());
    }
}
