namespace Granary.Client.Tests;

/// <summary>Methods whose results split into several objects (Ray's num_returns).</summary>
public static class ReturnJobs
{
    /// <summary>0, 10, 20, ... as separate values.</summary>
    public static int[] Tens(int count) => [.. Enumerable.Range(0, count).Select(i => i * 10)];

    public static List<string> Words(int count) => [.. Enumerable.Range(0, count).Select(i => "w" + i)];

    /// <summary>A small value and a large one (stored on the node, not inline), of different types.</summary>
    public static (string Label, double[] Samples) Labelled(int length) => ("n=" + length, [.. Enumerable.Range(0, length).Select(i => (double)i)]);

    public static async Task<(int, string, long)> ThreeLater(int x)
    {
        await Task.Yield();
        return (x, "x" + x, x * 1_000_000_000L);
    }

    public static int[] SplitOrFail(int count) => count >= 0 ? new int[count] : throw new ArgumentException("negative count");
}
