using System.Diagnostics;

namespace Granary.Benchmarks;

/// <summary>Times a workload: warm-up rounds first, then the median of the timed rounds, as operations per second.</summary>
internal static class Measurement
{
    public static async Task<double> MedianRateAsync(Func<Task<int>> round, int warmups, int rounds)
    {
        for (var i = 0; i < warmups; i++)
        {
            await round();
        }

        var rates = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var operations = await round();
            rates.Add(operations / Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        rates.Sort();
        return rates[rates.Count / 2];
    }
}
