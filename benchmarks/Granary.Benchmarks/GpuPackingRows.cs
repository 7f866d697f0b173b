using System.Diagnostics;

namespace Granary.Benchmarks;

/// <summary>
/// Issue 12's simulation: 4 silos with 8 simulated 80 GB GPUs each, and a stream of jobs of 6 types whose
/// true peak memory (4-70 GB) the scheduler is not told, all submitted at once (faster than the cluster
/// runs them), placed three ways: one job per GPU; a user's guessed logical fraction of a quarter GPU each,
/// as Ray's num_gpus=0.25 (here a declared quarter of the device's memory, which packs exactly as a logical
/// quarter does and keeps the jobs in the silos, where a logical GPU request would start a worker process
/// per job); and Granary's profiled packing. A job that runs out of memory is submitted again until it
/// succeeds (its result is still wanted: a user whose guess was wrong reruns it), and every time counts as
/// an out-of-memory event; jobs an hour is for all of the stream, reruns included.
/// </summary>
internal static class GpuPackingRows
{
    public const string OnePerGpu = "gpu_packing_one_job_per_gpu_jobs_per_hour";
    public const string Fractions = "gpu_packing_logical_quarter_jobs_per_hour";
    public const string Profiled = "gpu_packing_profiled_jobs_per_hour";

    public static readonly string[] Names = [OnePerGpu, Fractions, Profiled];

    private const long GB = GpuMemory.GB;
    private const long DeviceBytes = 80 * GB;

    // The six types' true peaks, spread evenly on a log scale from 4 to 70 GB (model sizes are), in GB.
    private static readonly double[] _peaks = [4, 7.1, 12.5, 22.3, 39.5, 70];

    /// <summary>Each mode's jobs an hour, and its out-of-memory events (in the notes).</summary>
    public static async Task<(Dictionary<string, double> Figures, List<string> Notes)> RunAsync(IReadOnlySet<string>? only, bool quick, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var notes = new List<string>();
        if (only is not null && !Names.Any(only.Contains))
        {
            return (figures, notes);
        }

        var jobs = Stream(quick ? 200 : 2_000);
        notes.Add($"fluid bound of packing by profile and a {GranaryDefaults.GpuMemoryMargin:P0} margin: {FluidBound(jobs, GranaryDefaults.GpuMemoryMargin, 32):0.00}x one job per GPU");
        foreach (var (name, options) in new (string, Func<int, RemoteOptions>)[]
        {
            (OnePerGpu, _ => new RemoteOptions { GpuMemoryBytes = DeviceBytes, Cpus = 0, MaxRetries = 0 }),
            (Fractions, _ => new RemoteOptions { GpuMemoryBytes = DeviceBytes / 4, Cpus = 0, MaxRetries = 0 }),
            (Profiled, type => new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs("type-" + type), Cpus = 0, MaxRetries = 0 }),
        })
        {
            // A fresh cluster for each mode, so no profile is known at the start of the profiled one.
            await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 4, CpusPerSilo = 8, GpusPerSilo = 8, GpuMemoryBytes = DeviceBytes }, cancellationToken);
            var clock = Stopwatch.StartNew();
            var (succeeded, outOfMemory) = await RunAllAsync(client, jobs, options, cancellationToken);
            var hours = clock.Elapsed.TotalHours;
            figures[name] = succeeded / hours;
            notes.Add($"{name}: {succeeded} of {jobs.Count} jobs succeeded in {clock.Elapsed.TotalSeconds:0.0} s, {outOfMemory} out-of-memory events");
        }

        return (figures, notes);
    }

    /// <summary>A seeded stream: types in random order, each job's run time between 150 and 450 ms, whatever its type.</summary>
    public static List<(int Type, long Peak, int Millis)> Stream(int count)
    {
        var random = new Random(12);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var type = random.Next(_peaks.Length);
            return (type, (long)(_peaks[type] * GB), 150 + random.Next(301));
        })];
    }

    /// <summary>
    /// The most any placement could reach: every device's memory kept exactly full of the jobs' reservations
    /// (the memory-time they need over the memory the cluster has), against one job per device.
    /// </summary>
    public static double FluidBound(List<(int Type, long Peak, int Millis)> jobs, double margin, int devices)
    {
        var onePerGpu = jobs.Sum(j => (double)j.Millis) / devices;
        var packed = jobs.Sum(j => Math.Min(DeviceBytes, j.Peak * (1 + margin)) * j.Millis) / (devices * (double)DeviceBytes);
        return onePerGpu / packed;
    }

    private static async Task<(int Succeeded, int OutOfMemory)> RunAllAsync(GranaryClient client, List<(int Type, long Peak, int Millis)> jobs, Func<int, RemoteOptions> options, CancellationToken cancellationToken)
    {
        var outOfMemory = 0;
        var succeeded = 0;
        await Task.WhenAll(jobs.Select(async job =>
        {
            for (var attempt = 0; attempt < 100_000; attempt++)
            {
                try
                {
                    await client.Remote(() => GpuPackingJobs.Run(job.Type, job.Peak, job.Millis), options(job.Type)).GetAsync(cancellationToken);
                    Interlocked.Increment(ref succeeded);
                    return;
                }
                catch (GpuOutOfMemoryException)
                {
                    Interlocked.Increment(ref outOfMemory);
                }
            }
        }));
        return (succeeded, outOfMemory);
    }
}
