using System.Globalization;

namespace Granary.Client.Tests;

/// <summary>
/// Tasks for the GPU memory packing tests: each reports a simulated use, holds it a while, and records where
/// and when it ran. Records are files (a folder per job name under the temp folder), since tasks run in their
/// job's load context or a worker process, neither of which shares this class's statics with the test.
/// </summary>
public static class GpuJobs
{
    public static string Folder(string name) => Path.Combine(Path.GetTempPath(), "granary-gpujobs", name);

    /// <summary>How many runs of <paramref name="name"/> have started.</summary>
    public static int Runs(string name) => Directory.Exists(Path.Combine(Folder(name), "started")) ? Directory.GetFiles(Path.Combine(Folder(name), "started")).Length : 0;

    /// <summary>Every finished run of <paramref name="name"/>: where, and when it held its memory.</summary>
    public static IReadOnlyList<GpuRun> Log(string name)
    {
        var folder = Path.Combine(Folder(name), "runs");
        return !Directory.Exists(folder) ? [] : [.. Directory.GetFiles(folder).Select(file =>
        {
            var parts = File.ReadAllText(file).Split('|');
            return new GpuRun(Path.GetFileName(file), name, parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
        })];
    }

    /// <summary>Uses <paramref name="bytes"/> of its GPU for <paramref name="millis"/> ms; returns "node/gpu".</summary>
    public static async Task<string> Use(string name, long bytes, int millis)
    {
        var context = TaskContext.Current!;
        var id = Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(Path.Combine(Folder(name), "started"));
        Directory.CreateDirectory(Path.Combine(Folder(name), "runs"));
        File.WriteAllText(Path.Combine(Folder(name), "started", id), string.Empty);
        var where = $"{context.NodeId}/{context.GpuIds[0]}";
        await context.ReportSimulatedGpuMemoryAsync(bytes);
        // Environment.TickCount64 counts from the machine's boot, so runs in different processes compare.
        var start = Environment.TickCount64;
        await Task.Delay(millis);
        File.WriteAllText(Path.Combine(Folder(name), "runs", id), $"{where}|{start}|{Environment.TickCount64}");
        return where;
    }

    /// <summary>Uses more on its later runs than on the first: a job type whose profile comes out too small.</summary>
    public static async Task<string> GrowsAfterFirst(string name, long first, long later, int millis) =>
        await Use(name, Runs(name) == 0 ? first : later, millis);

    /// <summary>Fails on purpose the first <paramref name="failures"/> times it runs.</summary>
    public static async Task<string> FailsFirst(string name, int failures, long bytes)
    {
        var run = Runs(name);
        var where = await Use(name, bytes, 50);
        return run < failures ? throw new InvalidOperationException($"run {run} of {name} fails on purpose") : where;
    }

    [ProfileGpuMemory(StandIn = nameof(ShortVersion))]
    public static Task<string> LongVersion(string name, long bytes) => Use(name, bytes, 200);

    public static Task<string> ShortVersion(string name, long bytes) => Use(name + ".stand-in", bytes, 10);

    [ProfileGpuMemory]
    public static Task<string> Attributed(string name, long bytes) => Use(name, bytes, 50);
}

/// <summary>One run of a GPU job: its id, the device ("node/gpu") and the time it held its memory (Environment.TickCount64).</summary>
/// <remarks>The id keeps two runs apart that started and ended in the same millisecond on the same device.</remarks>
public sealed record GpuRun(string Id, string Name, string Where, long Start, long End)
{
    public bool Overlaps(GpuRun other) => Start < other.End && other.Start < End;
}
