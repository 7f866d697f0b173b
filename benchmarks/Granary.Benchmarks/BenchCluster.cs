using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Granary.Benchmarks;

/// <summary>
/// A head and worker silos as separate `granary` processes on this machine (the apphost the build copies
/// next to this program), so the figures include real process boundaries. Kills them on dispose.
/// </summary>
internal sealed partial class BenchCluster : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), "granary-bench-" + Guid.NewGuid().ToString("N")[..8]);

    public string HeadAddress { get; private set; } = string.Empty;

    public IReadOnlyList<Process> Processes => _processes;

    public static async Task<BenchCluster> StartAsync(int workers, double cpusPerWorker)
    {
        var cluster = new BenchCluster();
        try
        {
            cluster.HeadAddress = await cluster.StartSiloAsync("start", "--head", "--port", "0", "--node-id", "bench-head").ConfigureAwait(false);
            for (var i = 0; i < workers; i++)
            {
                await cluster.StartSiloAsync("start", "--address", cluster.HeadAddress, "--port", "0", "--node-id", $"bench-w{i}", "--cpus", cpusPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
            }
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_runDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> StartSiloAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "granary"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GRANARY_RUN_DIR"] = _runDirectory;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start granary");
        _processes.Add(process);
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            var match = Listening().Match(line);
            if (match.Success)
            {
                _ = DrainAsync(process.StandardOutput);
                return match.Groups[1].Value;
            }
        }

        throw new InvalidOperationException($"granary {string.Join(' ', args)} exited before listening");
    }

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync().ConfigureAwait(false) is not null)
        {
        }
    }

    [GeneratedRegex(@"granary: \w+ silo \S+ listening on (\S+)")]
    private static partial Regex Listening();
}
