using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp.Tests;

/// <summary>What one rank saw of the tensor collectives.</summary>
public sealed record RankTensors(int Rank, float[] Summed, double[] Maxed, long[] Broadcast, long[][] GatheredShapes, int[] Gathered, string Device, bool SameObject);

/// <summary>Rank functions over tensors: all-reduce and broadcast in place, all-gather into new tensors.</summary>
public static class RankTensorJobs
{
    public static async Task<RankTensors> CollectivesAsync(RankContext ctx)
    {
        // Rank r contributes r+1 everywhere, in a 2x3 float tensor: the sum is the same on every rank.
        using var summed = torch.full(2, 3, ctx.Rank + 1f);
        var returned = await ctx.AllReduceAsync(summed);

        using var maxed = torch.tensor(new[] { (double)ctx.Rank, -ctx.Rank });
        await ctx.AllReduceAsync(maxed, ReduceOp.Max);

        // Only the root's values count; the others start with something else.
        using var broadcast = ctx.Rank == 1 ? torch.tensor(new long[] { 7, 8, 9 }) : torch.zeros(3, dtype: ScalarType.Int64);
        await ctx.BroadcastAsync(broadcast, root: 1);

        // Ranks gather rows of different counts: rank r sends r+1 rows of [r, r].
        using var rows = torch.full(ctx.Rank + 1, 2, ctx.Rank, dtype: ScalarType.Int32);
        var gathered = await ctx.AllGatherAsync(rows);

        return new RankTensors(
            ctx.Rank,
            summed.data<float>().ToArray(),
            maxed.data<double>().ToArray(),
            broadcast.data<long>().ToArray(),
            [.. gathered.Select(t => t.shape)],
            [.. gathered.SelectMany(t => t.data<int>().ToArray())],
            ctx.TorchDevice().ToString(),
            ReferenceEquals(returned, summed));
    }

    public static async Task<string> ReduceBoolAsync(RankContext ctx)
    {
        using var flags = torch.ones(2, dtype: ScalarType.Bool);
        await ctx.AllReduceAsync(flags);
        return "reduced";
    }
}
