using Granary;

namespace Distributed;

/// <summary>
/// One data-parallel training job: every rank fits y = w·x + b on its own shard of the same synthetic data,
/// and after each step the ranks average their gradients with a ring all-reduce, so all ranks keep the same
/// weights, as DistributedDataParallel does.
/// </summary>
public static class DataParallel
{
    public sealed record RankResult(int Rank, int LocalRank, string NodeId, string Devices, double Weight, double Bias, double Loss);

    public static async Task<RankResult> Train(RankContext ctx, int samples, int steps)
    {
        // The shard: every WorldSize-th sample of y = 3x + 2 with a little noise, starting at this rank.
        var random = new Random(17);
        var all = Enumerable.Range(0, samples).Select(_ => random.NextDouble() * 2 - 1).Select(x => (X: x, Y: 3 * x + 2 + (random.NextDouble() - 0.5) * 0.1)).ToArray();
        var shard = all.Where((_, i) => i % ctx.WorldSize == ctx.Rank).ToArray();
        double w = 0, b = 0, loss = 0;
        for (var step = 0; step < steps; step++)
        {
            double gw = 0, gb = 0;
            loss = 0;
            foreach (var (x, y) in shard)
            {
                var error = w * x + b - y;
                gw += 2 * error * x / shard.Length;
                gb += 2 * error / shard.Length;
                loss += error * error / shard.Length;
            }

            var mean = await ctx.AllReduceAsync(new[] { gw, gb, loss }, ReduceOp.Mean);
            w -= 0.5 * mean[0];
            b -= 0.5 * mean[1];
            loss = mean[2];
        }

        await ctx.BarrierAsync("trained");
        return new RankResult(ctx.Rank, ctx.LocalRank, ctx.NodeId, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "", w, b, loss);
    }
}
