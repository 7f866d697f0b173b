using System.Diagnostics;

namespace Granary.Benchmarks;

/// <summary>Rank functions of the collective rows: they time their own all-reduces, so no launch cost is counted.</summary>
public static class CollectiveJobs
{
    /// <summary>The median seconds of one all-reduce (sum) of <paramref name="bytes"/> of floats, each round started together after a barrier.</summary>
    public static async Task<double> TimeAllReduce(RankContext ctx, int bytes, int warmups, int rounds)
    {
        var data = new float[bytes / sizeof(float)];
        Array.Fill(data, ctx.Rank + 1f);
        var times = new List<double>();
        for (var i = 0; i < warmups + rounds; i++)
        {
            await ctx.BarrierAsync("round");
            var started = Stopwatch.GetTimestamp();
            var result = await ctx.AllReduceAsync(data);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (result[^1] != ctx.WorldSize * (ctx.WorldSize + 1) / 2f)
            {
                throw new InvalidOperationException($"All-reduce gave {result[^1]}.");
            }

            if (i >= warmups)
            {
                times.Add(seconds);
            }
        }

        // A round ends when the slowest rank has its result: every rank's time, the largest per round.
        var all = await ctx.AllGatherObjectAsync(times.ToArray());
        return Enumerable.Range(0, rounds).Select(r => all.Max(t => t[r])).Order().ElementAt(rounds / 2);
    }
}
