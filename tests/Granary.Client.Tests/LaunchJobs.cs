namespace Granary.Client.Tests;

public sealed record RankReport(int Rank, int LocalRank, int WorldSize, int LocalWorldSize, string MasterAddress, int MasterPort, string NodeId, int Pid, Dictionary<string, string?> Environment);

/// <summary>Rank functions for the multi-rank launch tests.</summary>
public static class LaunchJobs
{
    private static readonly string[] Variables = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "CUDA_VISIBLE_DEVICES"];

    public static RankReport Report(RankContext ctx) => new(
        ctx.Rank, ctx.LocalRank, ctx.WorldSize, ctx.LocalWorldSize, ctx.MasterAddress, ctx.MasterPort, ctx.NodeId, System.Environment.ProcessId,
        Variables.ToDictionary(v => v, System.Environment.GetEnvironmentVariable));

    /// <summary>Rank r contributes i * (r + 1) at index i, so every reduction has a closed form.</summary>
    public static Task<double[]> AllReduce(RankContext ctx, int length, ReduceOp op) =>
        ctx.AllReduceAsync(Enumerable.Range(0, length).Select(i => (double)i * (ctx.Rank + 1)).ToArray(), op);

    public static Task<int[]> AllReduceInts(RankContext ctx, int length) =>
        ctx.AllReduceAsync(Enumerable.Range(0, length).Select(i => i + ctx.Rank).ToArray(), ReduceOp.Max);

    public static Task<float[]> Broadcast(RankContext ctx, int length, int root) =>
        ctx.BroadcastAsync(ctx.Rank == root ? Enumerable.Range(0, length).Select(i => (float)i).ToArray() : [], root);

    /// <summary>Rank r sends r + 1 items of value r, so the arrays differ in length.</summary>
    public static Task<int[][]> AllGather(RankContext ctx) => ctx.AllGatherAsync(Enumerable.Repeat(ctx.Rank, ctx.Rank + 1).ToArray());

    public static async Task<string> GatherNames(RankContext ctx)
    {
        await ctx.BarrierAsync("start");
        var names = await ctx.AllGatherObjectAsync($"rank-{ctx.Rank}@{ctx.NodeId}");
        await ctx.BarrierAsync("start");
        return string.Join(",", names);
    }

    /// <summary>Once all ranks run, one throws; the others wait at a barrier it never reaches, until they are stopped.</summary>
    public static async Task<int> FailOnRank(RankContext ctx, int failing, string markerFolder)
    {
        if (ctx.Rank != failing)
        {
            File.WriteAllText(Path.Combine(markerFolder, $"waiting-{ctx.Rank}"), System.Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await ctx.BarrierAsync("started");
        if (ctx.Rank == failing)
        {
            throw new InvalidOperationException($"rank {ctx.Rank} gave up");
        }

        await ctx.BarrierAsync("never");
        File.WriteAllText(Path.Combine(markerFolder, $"passed-{ctx.Rank}"), "the barrier opened without the failed rank");
        return ctx.Rank;
    }

    /// <summary>One rank never reaches the barrier the others wait at.</summary>
    public static async Task<int> MissBarrier(RankContext ctx, int missing, CancellationToken cancellationToken)
    {
        if (ctx.Rank == missing)
        {
            await Task.Delay(TimeSpan.FromMinutes(5), cancellationToken);
        }

        await ctx.BarrierAsync("ready", cancellationToken);
        return ctx.Rank;
    }

    /// <summary>Ray-launch's driver: runs one GPU task per rank in the launch's placement group, through the in-cluster client.</summary>
    public static async Task<string> Drive(RankContext ctx)
    {
        if (!ctx.IsDriver || ctx.PlacementGroup is null)
        {
            throw new InvalidOperationException("Drive runs on a Ray-launch's rank 0 only.");
        }

        var client = TaskContext.Current!.Client;
        var group = ctx.PlacementGroup;
        var work = Enumerable.Range(0, ctx.WorldSize)
            .Select(i => client.Remote(() => GpuWork(), new RemoteOptions { PlacementGroup = group, BundleIndex = i, Gpus = 1, Cpus = 0 }))
            .ToList();
        var done = new List<string>();
        foreach (var item in work)
        {
            done.Add(await client.GetAsync(item));
        }

        return string.Join(";", done);
    }

    /// <summary>Every rank holds its GPU for <paramref name="millis"/> ms, then meets the others.</summary>
    public static async Task<int> HoldAtBarrier(RankContext ctx, int millis)
    {
        await Task.Delay(millis);
        await ctx.BarrierAsync("held");
        return ctx.Rank;
    }

    public static int FailingDriver(RankContext ctx) => throw new InvalidOperationException($"the driver gave up on rank {ctx.Rank}");

    public static string GpuWork() => $"{TaskContext.Current!.NodeId}/{string.Join(',', TaskContext.Current.GpuIds)}";
}
