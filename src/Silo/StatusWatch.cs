using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Granary.Grains.Hosting;
using Granary.Runtime.Wire;
using Spectre.Console;

namespace Granary.Silo;

/// <summary>
/// `granary status --watch`: asks the head for its report every interval over one observer connection and
/// shows the nodes' metrics live (<see cref="StatusTable"/>, a Spectre.Console live display), or with --json
/// prints one line per round. Ctrl+C (SIGINT) or SIGTERM ends it with exit code 0; a head that stops
/// answering is shown and asked again.
/// </summary>
internal static class StatusWatch
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string address, bool json, TimeSpan interval)
    {
        using var stop = new SignalCancellation();
        try
        {
            var cluster = await StatusCommand.ConnectAsync(address, GranaryDefaults.ClusterId, stop.Token).ConfigureAwait(false);
            await using (cluster.ConfigureAwait(false))
            {
                if (json)
                {
                    await PrintLinesAsync(cluster, address, interval, stop.Token).ConfigureAwait(false);
                }
                else
                {
                    await AnsiConsole.Live(StatusTable.Build(null, address, "connecting", DateTimeOffset.Now))
                        .AutoClear(false)
                        .StartAsync(live => ShowAsync(live, cluster, address, interval, stop.Token)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C while connecting.
        }

        return 0;
    }

    private static async Task ShowAsync(LiveDisplayContext live, ClusterClientHost cluster, string address, TimeSpan interval, CancellationToken stop)
    {
        StatusReport? last = null;
        while (!stop.IsCancellationRequested)
        {
            var (report, problem) = await AskAsync(cluster, stop).ConfigureAwait(false);
            last = report ?? last;
            live.UpdateTarget(StatusTable.Build(last, address, problem, DateTimeOffset.Now));
            live.Refresh();
            if (!await WaitAsync(interval, stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private static async Task PrintLinesAsync(ClusterClientHost cluster, string address, TimeSpan interval, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var (report, problem) = await AskAsync(cluster, stop).ConfigureAwait(false);
            var line = report is not null ? StatusCommand.ToJson(report, address) : new JsonObject { ["head"] = address, ["error"] = problem };
            Console.WriteLine(line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            if (!await WaitAsync(interval, stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>The head's report, or why there is none this round; nothing when the watch is being stopped.</summary>
    private static async Task<(StatusReport? Report, string? Problem)> AskAsync(ClusterClientHost cluster, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(AskTimeout);
        try
        {
            return (await cluster.Head.GetStatus(timeout.Token).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            return (null, $"the head did not answer: {ex.Message}");
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            return (null, null);
        }
    }

    private static async Task<bool> WaitAsync(TimeSpan interval, CancellationToken stop)
    {
        try
        {
            await Task.Delay(interval, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
