using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// The promise for a silo killed with SIGKILL, on real `granary start` processes over loopback with the
/// default node timeout (3 s): Orleans declares it dead, and Granary fails or retries the work in flight there at
/// once, driven by that membership change. No task or actor call may wait out Orleans' 30 s response timeout, so
/// every wait here is bounded well under it.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class SigkillProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    // A behaviour bound, not a benchmark: far under Orleans' 30 s response timeout, generous for a loaded
    // 2-core machine (the node timeout is 3 s; `granary status` is a process start per poll).
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(12);

    [Fact]
    public async Task Work_in_flight_on_a_SIGKILLed_worker_fails_or_is_retried_at_once_and_Orleans_declares_it_dead()
    {
        // ProcessCluster shortens the node timeout and heartbeat for other tests; this one runs with the defaults.
        string[] defaults = ["--node-timeout", "3", "--heartbeat", "1"];
        await Cluster.StartHeadAsync(defaults);
        await Cluster.StartWorkerAsync("w1", ["--cpus", "2", .. defaults]);
        await Cluster.StartWorkerAsync("w2", ["--cpus", "3", .. defaults]);
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();

        // An actor call in flight on w2.
        var actor = await client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Placement = new NodeAffinityPlacement("w2") }).WithTimeout();
        var marker = Path.Combine(Cluster.RunDirectory, "actor-call-running");
        var call = actor.Call(a => a.MarkThenSleepAsync(marker, 120_000));

        // A task pinned to w2 that may not retry, and one that may run anywhere but starts on w2 and may retry once.
        var pinnedGate = Cluster.NewGate();
        var pinned = client.Remote(() => ClusterJobs.HoldUntilOpen(pinnedGate, 0), new RemoteOptions { Placement = new NodeAffinityPlacement("w2"), MaxRetries = 0 });
        var retriedGate = Cluster.NewGate();
        var retried = client.Remote(() => ClusterJobs.HoldUntilOpen(retriedGate, 1), new RemoteOptions { Placement = new NodeAffinityPlacement("w2", soft: true), MaxRetries = 1 });
        Assert.Equal(["0@w2"], await ProcessCluster.WaitStartedAsync(pinnedGate, 1));
        Assert.Equal(["1@w2"], await ProcessCluster.WaitStartedAsync(retriedGate, 1));
        await Eventually.HoldsAsync(() => File.Exists(marker), Bounded.Default, "the actor call is running on w2");
        var before = await StatusAsync();
        Assert.Equal("Active", (string?)Node(before, "w2")["orleans"]!["status"]);

        var killed = Stopwatch.StartNew();
        await Cluster.KillAsync("w2");
        // Let the retry through once its first attempt is gone with w2.
        ProcessCluster.Open(retriedGate);

        var taskError = await Assert.ThrowsAsync<NodeDiedException>(async () => await pinned.WithTimeout(Left(killed)));
        var taskFailedAfter = killed.Elapsed;
        var callError = await Assert.ThrowsAsync<ActorDiedException>(async () => await call.WithTimeout(Left(killed)));
        var callFailedAfter = killed.Elapsed;
        Assert.Equal("w1", await retried.WithTimeout(Left(killed)));
        var retriedAfter = killed.Elapsed;

        // The client's node list and `granary status` (Granary's state and Orleans' own) show w2 dead.
        await Eventually.HoldsAsync(async () => !(await client.GetNodesAsync().WithTimeout()).Single(n => n.NodeId == "w2").Alive, Left(killed), "the client's node list shows w2 dead");
        var listedDeadAfter = killed.Elapsed;
        JsonNode status = null!;
        await Eventually.HoldsAsync(
            async () =>
            {
                status = await StatusAsync();
                return (string?)Node(status, "w2")["state"] == "dead" && (string?)Node(status, "w2")["orleans"]?["status"] == "Dead";
            },
            Left(killed),
            "granary status shows w2 dead, in Granary's state and in Orleans' membership",
            () => Node(status, "w2").ToJsonString());
        Output.WriteLine(
            $"after SIGKILL: pinned task failed at {taskFailedAfter.TotalSeconds:0.0} s ({taskError.Message}); actor call at {callFailedAfter.TotalSeconds:0.0} s ({callError.Message}); " +
            $"retried task done at {retriedAfter.TotalSeconds:0.0} s; node list dead at {listedDeadAfter.TotalSeconds:0.0} s; status dead at {killed.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal("Active", (string?)Node(status, "w1")["orleans"]!["status"]);
        Assert.Equal("Active", (string?)Node(status, "head")["orleans"]!["status"]);
        Assert.Contains(status["silos"]!.AsArray(), s => (string?)s!["name"] == "w2" && (string?)s["status"] == "Dead");
        var text = await Cluster.RunCliAsync("status");
        Assert.Contains("orleans:Dead", text.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("w2 ", StringComparison.Ordinal)));
    }

    private static TimeSpan Left(Stopwatch since) => Bound - since.Elapsed is { Ticks: > 0 } left ? left : TimeSpan.FromMilliseconds(1);

    private async Task<JsonNode> StatusAsync()
    {
        var status = await Cluster.RunCliAsync("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        return JsonNode.Parse(status.Stdout)!;
    }

    private static JsonNode Node(JsonNode status, string id) => status["nodes"]!.AsArray().Single(n => (string?)n!["id"] == id)!;
}
