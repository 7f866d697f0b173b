using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Metrics of real `granary start` processes: a head and a worker "gpu" (2 CPUs, one simulated T4), each
/// with a Prometheus endpoint (--metrics-port). A scrape is a real HTTP GET; the monitor's samples reach
/// the client, `granary status --json` and `granary status --watch`.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed partial class MetricsProcessTests(MetricsProcessTests.Cluster cluster, ITestOutputHelper output)
    : SharedClusterTest(cluster.Processes, output), IClassFixture<MetricsProcessTests.Cluster>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task A_scrape_of_a_silo_shows_granary_and_orleans_metrics()
    {
        var where = await Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Cpus = 1 }).WithTimeout();
        Assert.Equal("gpu", where);

        var scrape = string.Empty;
        await Eventually.HoldsAsync(
            async () =>
            {
                scrape = await ScrapeAsync(cluster.WorkerMetricsPort);
                return Value(scrape, "granary_tasks_finished_total", "gpu") >= 1;
            },
            TimeSpan.FromSeconds(15),
            "the worker's scrape counts the task it ran",
            () => scrape);
        Assert.Contains("\norleans_", scrape);
        Assert.True(Value(scrape, "granary_object_store_capacity_bytes", "gpu") > 0, scrape);

        var head = await ScrapeAsync(cluster.HeadMetricsPort);
        Assert.True(Value(head, "granary_memory_total_bytes", "head") > 0, head);
        Assert.Contains("\norleans_", head);
    }

    [Fact]
    public async Task A_running_gpu_task_shows_on_its_device_in_the_monitor_the_scrape_and_status()
    {
        var gate = ClusterProcesses.NewGate();
        var task = Client.Remote(() => ClusterJobs.HoldUntilOpen(gate, 0), new RemoteOptions { Gpus = 1 });
        try
        {
            await ProcessCluster.WaitStartedAsync(gate, 1);

            var busy = await SampleAsync(s => s.Gpus is [{ UtilizationPercent: 100 }]);
            var gpu = Assert.Single(busy.Gpus);
            Assert.True(gpu.Simulated);
            Assert.Equal(16L << 30, gpu.MemoryTotalBytes);
            Assert.Equal(gpu.MemoryTotalBytes, gpu.MemoryUsedBytes);
            Assert.True(busy.RunningTasks >= 1 && busy.Leases >= 1, $"{busy.RunningTasks} running on {busy.Leases} leases");

            var scrape = string.Empty;
            await Eventually.HoldsAsync(
                async () => Value(scrape = await ScrapeAsync(cluster.WorkerMetricsPort), "granary_gpu_utilization_percent", "gpu", "device=\"0\"") == 100,
                TimeSpan.FromSeconds(10),
                "the scrape shows GPU 0 busy",
                () => scrape);

            var status = await ClusterProcesses.RunCliAsync("status", "--json");
            Assert.True(status.ExitCode == 0, status.ToString());
            var node = JsonNode.Parse(status.Stdout)!["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "gpu")!;
            Assert.Equal(100, (double)node["metrics"]!["gpus"]![0]!["utilizationPercent"]!);
            Assert.True((bool)node["metrics"]!["gpus"]![0]!["simulated"]!);

            var lines = await WatchAsync(["--json", "--interval", "0.2"], seen => seen.Any(line => line.Contains("\"utilizationPercent\":100", StringComparison.Ordinal)));
            Assert.Contains(lines, line => JsonNode.Parse(line)!["nodes"]!.AsArray().Any(n => (string?)n!["id"] == "gpu"));
        }
        finally
        {
            ProcessCluster.Open(gate);
        }

        Assert.Equal("gpu", await task.WithTimeout());
        var idle = await SampleAsync(s => s.Gpus is [{ UtilizationPercent: 0, MemoryUsedBytes: 0 }]);
        Assert.Equal(0, idle.RunningTasks);
    }

    [Fact]
    public async Task A_silo_with_an_otlp_endpoint_sends_its_metrics_and_the_run_span_of_a_traced_task()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GranaryTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var task = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Cpus = 1 });
        Assert.Equal("gpu", await task.WithTimeout());
        var span = await Task.Run(async () =>
        {
            while (!stopped.Any(a => (string?)a.GetTagItem("granary.task.id") == task.Id))
            {
                await Task.Delay(20);
            }

            return stopped.First(a => (string?)a.GetTagItem("granary.task.id") == task.Id);
        }).WithTimeout();

        // The node's span arrives in the client's trace: the trace id travels in the task, in the id's 16 raw bytes.
        var traceId = new byte[16];
        span.TraceId.CopyTo(traceId);
        var otlp = cluster.Otlp;
        await Eventually.HoldsAsync(() => otlp.Received("/v1/traces", traceId, "granary.run"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(task.Id)), TimeSpan.FromSeconds(15), "the worker exported the task's run span in the client's trace", otlp.Summary);
        await Eventually.HoldsAsync(() => otlp.Received("/v1/metrics", "granary.tasks.finished"u8.ToArray(), "gpu"u8.ToArray()), TimeSpan.FromSeconds(15), "the worker exported Granary's metrics", otlp.Summary);
        Assert.True(otlp.Received("/v1/metrics", "orleans-"u8.ToArray()) || otlp.Received("/v1/metrics", "orleans."u8.ToArray()), "Orleans' meter is exported too");
    }

    [Fact]
    public async Task Status_watch_keeps_a_table_on_screen_until_interrupted()
    {
        var lines = await WatchAsync(["--interval", "0.2"], seen => seen.Count(line => line.Contains("Ctrl+C to stop", StringComparison.Ordinal)) >= 2);
        var text = string.Join('\n', lines);
        Assert.Contains("head", text);
        Assert.Contains("gpu", text);
        Assert.Contains("(sim)", text);
    }

    /// <summary>The first sample of the worker that satisfies <paramref name="wanted"/>, from the client's monitor.</summary>
    private async Task<NodeMetrics> SampleAsync(Func<NodeMetrics, bool> wanted)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        NodeMetrics? last = null;
        await foreach (var sample in Client.MonitorAsync(TimeSpan.FromMilliseconds(200), stop.Token))
        {
            if (sample.NodeId == "gpu")
            {
                last = sample;
                if (wanted(sample))
                {
                    return sample;
                }
            }
        }

        throw new TimeoutException($"no sample of node gpu as wanted within 20 s; the last: {last} with GPUs [{string.Join(", ", last?.Gpus ?? [])}]");
    }

    /// <summary>Runs `granary status --watch ARGS` until its output satisfies <paramref name="enough"/>, then sends SIGINT: it must exit 0.</summary>
    private async Task<string[]> WatchAsync(string[] args, Func<IReadOnlyCollection<string>, bool> enough)
    {
        var lines = new ConcurrentQueue<string>();
        using var watch = new Process { StartInfo = ClusterProcesses.CliStartInfo(["status", "--watch", .. args]) };
        watch.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        watch.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue("stderr: " + e.Data);
            }
        };
        watch.Start();
        watch.BeginOutputReadLine();
        watch.BeginErrorReadLine();
        try
        {
            await Eventually.HoldsAsync(() => enough(lines), TimeSpan.FromSeconds(20), "granary status --watch showed what was wanted", () => string.Join('\n', lines));
            using (var interrupt = Process.Start("kill", ["-INT", watch.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync().WithTimeout();
            }

            await watch.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(15));
            Assert.True(watch.ExitCode == 0, $"exit code {watch.ExitCode}:\n{string.Join('\n', lines)}");
            return [.. lines];
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> ScrapeAsync(int port)
    {
        using var response = await Http.GetAsync($"http://127.0.0.1:{port}/metrics").WithTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync().WithTimeout();
    }

    /// <summary>The value of a metric's sample for a node (and any other label given), or -1 when the scrape has none.</summary>
    private static double Value(string scrape, string metric, string node, string? label = null)
    {
        foreach (Match match in Sample().Matches(scrape))
        {
            var labels = match.Groups["labels"].Value;
            if (match.Groups["name"].Value == metric && labels.Contains($"node=\"{node}\"", StringComparison.Ordinal) && (label is null || labels.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    // One sample line of the Prometheus text format: name{labels} value [timestamp]
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    public sealed class Cluster : IAsyncLifetime
    {
        public ProcessCluster Processes { get; } = new();

        /// <summary>Where the worker sends its metrics and spans over OTLP/HTTP.</summary>
        public OtlpReceiver Otlp { get; } = new();

        public int HeadMetricsPort { get; } = PortPicker.Pick(IPAddress.Loopback);

        public int WorkerMetricsPort { get; } = PortPicker.Pick(IPAddress.Loopback);

        public async Task InitializeAsync()
        {
            // Nothing here kills nodes, so a longer node timeout keeps a starved worker on a busy machine from being declared dead.
            await Processes.StartHeadAsync("--node-timeout", "10", "--metrics-port", $"{HeadMetricsPort}");
            await Otlp.StartAsync();
            // The standard variables choose OTLP over HTTP and export often, so the test need not wait a minute.
            Processes.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            Processes.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
            Processes.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
            await Processes.StartWorkerAsync("gpu", "--cpus", "2", "--gpus", "1", "--gpu-type", "T4", "--metrics-port", $"{WorkerMetricsPort}", "--otlp-endpoint", Otlp.Endpoint).WithTimeout();
        }

        public async Task DisposeAsync()
        {
            await Processes.DisposeAsync();
            await Otlp.DisposeAsync();
        }
    }
}
