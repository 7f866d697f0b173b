using System.Diagnostics;

namespace Granary.Benchmarks;

/// <summary>Times a workload: warm-up rounds first, then the median of the timed rounds.</summary>
internal static class Measurement
{
    /// <summary>Each round returns how much it did (operations or gigabytes); the result is the median amount per second.</summary>
    public static async Task<double> MedianRateAsync(Func<Task<double>> round, int warmups, int rounds)
    {
        for (var i = 0; i < warmups; i++)
        {
            await round().ConfigureAwait(false);
        }

        var rates = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var amount = await round().ConfigureAwait(false);
            rates.Add(amount / Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        rates.Sort();
        return rates[rates.Count / 2];
    }
}
