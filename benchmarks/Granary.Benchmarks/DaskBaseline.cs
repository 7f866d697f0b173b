using System.Diagnostics;
using System.Text.Json;

namespace Granary.Benchmarks;

/// <summary>
/// Runs the same workloads on Dask distributed (Debian's python3-distributed) through the repository's
/// benchmarks/dask/dask_baseline.py, in the same run, and reads its JSON. Missing Dask is reported, not fatal.
/// </summary>
internal static class DaskBaseline
{
    public static async Task<(IReadOnlyDictionary<string, double> Rows, string Note)> RunAsync(bool quick)
    {
        var script = FindScript();
        if (script is null)
        {
            return (new Dictionary<string, double>(), "Dask column skipped: benchmarks/dask/dask_baseline.py not found above the program");
        }

        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || await RunAsync(python, ["-c", "import distributed, numpy"]).ConfigureAwait(false) is not (0, _))
        {
            return (new Dictionary<string, double>(), "Dask column skipped: Dask is not installed (apt-get install -y python3-distributed python3-numpy)");
        }

        var args = new List<string> { script, "--reps", quick ? "1" : "3" };
        if (quick)
        {
            args.Add("--quick");
        }

        var (code, output) = await RunAsync(python, args).ConfigureAwait(false);
        if (code != 0)
        {
            return (new Dictionary<string, double>(), $"Dask column skipped: dask_baseline.py exited {code}");
        }

        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var rows = new Dictionary<string, double>();
        foreach (var row in json.RootElement.GetProperty("rows").EnumerateObject())
        {
            rows[row.Name] = row.Value.GetProperty("median").GetDouble();
        }

        var versions = json.RootElement.GetProperty("versions");
        return (rows, $"Dask {versions.GetProperty("distributed").GetString()} (LocalCluster, 2 worker processes x 1 thread)");
    }

    private static string? FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "benchmarks", "dask", "dask_baseline.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false));
    }
}
