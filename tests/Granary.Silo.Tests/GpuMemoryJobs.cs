namespace Granary.Silo.Tests;

/// <summary>Remote functions that use simulated GPU memory, for the GPU status process tests.</summary>
public static class GpuMemoryJobs
{
    /// <summary>
    /// Reports <paramref name="bytes"/> of its simulated GPU in use, drops "started-0@NODE" into
    /// <paramref name="gate"/>, and holds the GPU until the test creates "open" there (at most a minute), so
    /// the test sees its reservation while it runs; returns "NODE/GPU". A gate opened beforehand lets it
    /// return at once.
    /// </summary>
    public static async Task<string> UseUntilOpen(long bytes, string gate)
    {
        var context = TaskContext.Current!;
        await context.ReportSimulatedGpuMemoryAsync(bytes);
        File.WriteAllText(Path.Combine(gate, $"started-0@{context.NodeId}"), string.Empty);
        var until = Environment.TickCount64 + 60_000;
        while (!File.Exists(Path.Combine(gate, "open")))
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"the test never opened the gate {gate}");
            }

            await Task.Delay(10);
        }

        return $"{context.NodeId}/{context.GpuIds[0]}";
    }
}
