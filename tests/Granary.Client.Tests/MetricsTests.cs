using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Granary.Client.Tests;

/// <summary>
/// Metrics and traces on the shared embedded cluster: every node's samples reach the client through
/// MonitorAsync, Granary's meter counts tasks on their nodes, and a task's client span and its run's span
/// on the node share one trace.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MetricsTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task MonitorAsync_streams_a_sample_of_every_node()
    {
        var nodes = fixture.Cluster.Silos.Select(s => s.NodeId).ToHashSet();
        var seen = new Dictionary<string, NodeMetrics>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var sample in Client.MonitorAsync(TimeSpan.FromMilliseconds(200), stop.Token))
        {
            seen[sample.NodeId] = sample;
            if (nodes.IsSubsetOf(seen.Keys))
            {
                break;
            }
        }

        Assert.True(nodes.IsSubsetOf(seen.Keys), $"samples came from {string.Join(", ", seen.Keys)}, not from every node of {string.Join(", ", nodes)}");
        var head = fixture.Cluster.Silos[0].NodeId;
        Assert.True(seen[head].IsHead);
        Assert.All(seen.Values, sample =>
        {
            Assert.InRange(sample.CpuPercent, 0, 100);
            Assert.InRange(sample.ProcessCpuPercent, 0, 100);
            Assert.True(sample.MemoryTotalBytes > 0, "host memory total");
            Assert.InRange(sample.MemoryUsedBytes, 1, sample.MemoryTotalBytes);
            Assert.True(sample.ProcessMemoryBytes > 0, "silo process memory");
            Assert.True(sample.ObjectStoreCapacityBytes > 0, "object store capacity");
            Assert.Empty(sample.Gpus);
            Assert.True(DateTimeOffset.UtcNow - sample.SampledAt < TimeSpan.FromMinutes(1), $"sampled at {sample.SampledAt}");
        });
    }

    [Fact]
    public async Task MonitorAsync_ends_quietly_when_cancelled()
    {
        using var stop = new CancellationTokenSource(Bounded.Default);
        var count = 0;
        await foreach (var _ in Client.MonitorAsync(TimeSpan.FromMilliseconds(100), stop.Token))
        {
            count++;
            stop.Cancel();
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public async Task The_meter_counts_finished_and_failed_tasks_on_their_node_and_submitted_ones_on_the_client()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GranaryTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var node = string.Empty;
            foreach (var tag in tags)
            {
                node = tag.Key == "node" ? (string)tag.Value! : node;
            }

            counts.AddOrUpdate($"{instrument.Name}@{node}", value, (_, old) => old + value);
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, old) => old + value));
        listener.Start();

        var where = await Client.Remote(() => TestJobs.WhereAmI()).WithTimeout();
        await Assert.ThrowsAnyAsync<Exception>(async () => await Client.Remote(() => TestJobs.Fail("counted"), new RemoteOptions { MaxRetries = 0 }).WithTimeout());

        Assert.True(counts.GetValueOrDefault("granary.tasks.submitted@") >= 2, Seen(counts));
        Assert.True(counts.GetValueOrDefault($"granary.tasks.finished@{where}") >= 1, Seen(counts));
        Assert.True(counts.Keys.Any(k => k.StartsWith("granary.tasks.failed@node-", StringComparison.Ordinal)), Seen(counts));

        // The gauges answer for every silo in the process, each under its node.
        listener.RecordObservableInstruments();
        Assert.All(fixture.Cluster.Silos, silo => Assert.True(counts.ContainsKey($"granary.object_store.capacity@{silo.NodeId}"), Seen(counts)));
    }

    [Fact]
    public async Task A_task_has_a_client_span_and_a_node_span_in_one_trace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GranaryTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var task = Client.Remote(() => TestJobs.Square(12));
        Assert.Equal(144, await task.WithTimeout());
        Assert.Null(Activity.Current);

        Activity? Span(string name) => stopped.FirstOrDefault(a => a.OperationName == name && (string?)a.GetTagItem("granary.task.id") == task.Id);
        await Eventually.HoldsAsync(() => Span("granary.task") is not null && Span("granary.run") is not null, TimeSpan.FromSeconds(10), "both spans of the task ended",
            () => string.Join(", ", stopped.Select(a => $"{a.OperationName} {a.GetTagItem("granary.task.id")}")));
        var client = Span("granary.task")!;
        var run = Span("granary.run")!;
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal(ActivityKind.Server, run.Kind);
        Assert.Equal(client.TraceId, run.TraceId);
        Assert.Equal(client.SpanId, run.ParentSpanId);
        Assert.Contains("Square", (string?)client.GetTagItem("granary.task.name"));
        Assert.Contains((string?)run.GetTagItem("granary.node"), fixture.Cluster.Silos.Select(s => s.NodeId));
        Assert.Equal(ActivityStatusCode.Unset, client.Status);
    }

    private static string Seen(ConcurrentDictionary<string, long> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
}
