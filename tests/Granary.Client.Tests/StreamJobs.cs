namespace Granary.Client.Tests;

/// <summary>Streaming tasks (Ray's streaming generators).</summary>
public static class StreamJobs
{
    /// <summary>
    /// Yields 0, then waits until <paramref name="gate"/> exists before yielding the rest. The test creates the
    /// file only after it has read item 0, so the task can finish only if items reach the reader while it runs.
    /// </summary>
    public static async IAsyncEnumerable<int> FirstThenWait(string gate, int count)
    {
        yield return 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(gate))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the reader never opened the gate: item 0 did not reach it while the task ran");
            }

            await Task.Delay(20);
        }

        for (var i = 1; i < count; i++)
        {
            yield return i;
        }
    }

    /// <summary>A plain iterator of arrays large enough to be stored on the node rather than sent inline.</summary>
    public static IEnumerable<double[]> Blocks(int count, int length)
    {
        for (var i = 0; i < count; i++)
        {
            yield return [.. Enumerable.Repeat((double)i, length)];
        }
    }

    public static async IAsyncEnumerable<string> FailAfter(int good)
    {
        for (var i = 0; i < good; i++)
        {
            await Task.Yield();
            yield return "item " + i;
        }

        throw new InvalidOperationException("stream broke after " + good);
    }
}
