namespace Granary.Silo.Tests;

/// <summary>Rank functions for the launch test across silo processes.</summary>
public static class LaunchJobs
{
    /// <summary>This rank's node, its process's RANK and CUDA_VISIBLE_DEVICES, and the all-reduced sum of rank + 1 over 300,000 floats.</summary>
    public static async Task<string> ReduceAndReport(RankContext ctx)
    {
        var sum = await ctx.AllReduceAsync(Enumerable.Repeat(ctx.Rank + 1f, 300_000).ToArray());
        return $"{ctx.NodeId}|{Environment.GetEnvironmentVariable("RANK")}|{Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")}|{sum.Distinct().Single()}";
    }
}
