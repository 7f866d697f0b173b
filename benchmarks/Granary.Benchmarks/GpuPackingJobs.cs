namespace Granary.Benchmarks;

/// <summary>The simulated GPU job of the packing rows: reports its true peak on its (simulated) GPU, then runs for its time.</summary>
public static class GpuPackingJobs
{
    public static async Task<int> Run(int type, long peakBytes, int millis)
    {
        await TaskContext.Current!.ReportSimulatedGpuMemoryAsync(peakBytes);
        await Task.Delay(millis);
        return type;
    }
}
