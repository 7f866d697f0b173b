using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Node failures on a real cluster of silo processes: a worker killed with SIGKILL, stopped with SIGTERM,
/// and a head that restarts. Each test starts its own cluster (heartbeat 0.2 s, node timeout 2 s).
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class NodeFailureProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Killing_a_worker_mid_workload_delivers_every_result_exactly_once()
    {
        await StartAsync("w1", "w2", "w3");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        const int count = 2000;
        var retrying = new RemoteOptions { MaxRetries = 3 };
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var refs = client.Map(Enumerable.Range(0, count), i => ClusterJobs.RecordedStamp(i, 2, folder), retrying);

        // Kill w2 once the workload is well under way, but far from done, while tasks run there: from then on a
        // task that starts on w2 holds until w2 dies, and the kill waits for one to.
        await Eventually.HoldsAsync(() => refs.Count(r => r.IsReady) >= 300, Bounded.Default, $"300 of {count} tasks finish", () => $"{refs.Count(r => r.IsReady)} finished");
        ledger.HoldOn("w2");
        await Eventually.HoldsAsync(() => ledger.HeldExecutions().Count > 0, Bounded.Default, "a task is running on w2");

        await Cluster.KillAsync("w2");
        var held = ledger.HeldExecutions();
        var readyAtKill = refs.Count(r => r.IsReady);
        Assert.True(readyAtKill < count, "the workload finished before the kill; the test did not exercise a failure");

        var stamps = await client.GetAllAsync(refs).WithTimeout(TimeSpan.FromSeconds(60));
        Output.WriteLine($"ready at kill: {readyAtKill}; in flight on w2: {string.Join(", ", held)}; per node: {string.Join(", ", stamps.GroupBy(s => s.NodeId).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}; retried: {stamps.Count(s => s.Attempt > 0)}; runs: {ledger.Executions().Count}");

        // Every result arrived, once, in order, and is the right one.
        Assert.Equal(Enumerable.Range(0, count), stamps.Select(s => s.Index));
        Assert.Contains(stamps, s => s.NodeId == "w2");
        Assert.Contains(stamps, s => s.Attempt > 0);
        Assert.All(stamps.Where(s => s.Attempt > 0), s => Assert.NotEqual("w2", s.NodeId));
        Assert.All(stamps, s => Assert.InRange(s.Attempt, 0, retrying.MaxRetries));

        // And every task ran once where nothing failed: retries replaced only the work lost with w2.
        ledger.AssertEachRanOnceAndTheKilledNodesWorkWasRetried(stamps, "w2", held);

        // The cluster carries on without w2.
        var after = await client.GetAllAsync(client.Map(Enumerable.Range(0, 20), i => ClusterJobs.Stamp(i, 0))).WithTimeout();
        Assert.All(after, s => Assert.NotEqual("w2", s.NodeId));
    }

    [Fact]
    public async Task Retries_of_a_task_whose_nodes_keep_dying_stop_at_MaxRetries_with_NodeDied()
    {
        await StartAsync("w1", "w2", "w3");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;

        // Every attempt takes the node it runs on down with it. One retry allowed: two nodes die, the third is spared.
        var doomed = client.Remote(() => ClusterJobs.RecordThenKillNode(folder), new RemoteOptions { MaxRetries = 1 });
        var error = await Assert.ThrowsAsync<NodeDiedException>(() => doomed.WithTimeout());
        var runs = ledger.Executions();
        Output.WriteLine($"runs: {string.Join(", ", runs)}; error: {error.Message}");

        Assert.Equal([0, 1], runs.Select(r => r.Attempt).Order());
        Assert.Equal(2, runs.Select(r => r.NodeId).Distinct().Count());
        var spared = Assert.Single(new[] { "w1", "w2", "w3" }.Except(runs.Select(r => r.NodeId)));
        Assert.False(Cluster.Silo(spared).HasExited);
        Assert.Equal(spared, await client.Remote(() => ClusterJobs.Where()).WithTimeout());
    }

    [Fact]
    public async Task After_a_kill_status_shows_the_node_dead_and_calls_to_its_actor_fail()
    {
        await StartAsync("w1", "w2");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var actor = await client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Placement = new NodeAffinityPlacement("w2") }).WithTimeout();
        Assert.Equal("w2", await actor.Call(a => a.Where()).WithTimeout());
        var marker = Path.Combine(Cluster.RunDirectory, "in-flight");
        var inFlight = actor.Call(a => a.MarkThenSleepAsync(marker, 60_000));
        await Eventually.HoldsAsync(() => File.Exists(marker), Bounded.Default, "the long call is running on w2");

        // A task holds a CPU on w2 until the kill, and the head has heard so from w2's heartbeat.
        var gate = Cluster.NewGate();
        var held = client.Remote(() => ClusterJobs.HoldUntilOpen(gate, 0), new RemoteOptions { Placement = new NodeAffinityPlacement("w2"), MaxRetries = 0 });
        await ProcessCluster.WaitStartedAsync(gate, 1);
        await Eventually.HoldsAsync(async () =>
        {
            var status = await Cluster.RunCliAsync("status", "--json");
            Assert.True(status.ExitCode == 0, status.ToString());
            var before = JsonNode.Parse(status.Stdout)!["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2")!;
            return (int)before["tasks"]!["running"]! == 1 && (double)before["resources"]!["inUse"]!["CPU"]! == 1;
        }, Bounded.Default, "status shows the task running on w2");

        var killed = Stopwatch.StartNew();
        await Cluster.KillAsync("w2");

        // Neither the call in flight nor a later one hangs.
        await Assert.ThrowsAsync<ActorDiedException>(async () => await inFlight.WithTimeout());
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(a => a.Where()).WithTimeout());

        // The head declares w2 dead within the node timeout (plus margin for process start-up of `granary status`).
        JsonNode w2 = null!;
        await Eventually.HoldsAsync(
            async () =>
            {
                var status = await Cluster.RunCliAsync("status", "--json");
                Assert.True(status.ExitCode == 0, status.ToString());
                var json = JsonNode.Parse(status.Stdout)!;
                w2 = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2")!;
                if ((string?)w2["state"] != "dead")
                {
                    return false;
                }

                var listed = json["actors"]!.AsArray().Where(a => (string?)a!["id"] == actor.Id).ToList();
                Assert.All(listed, a => Assert.Equal("dead", (string?)a!["state"]));
                return true;
            },
            NodeTimeout + TimeSpan.FromSeconds(8) - killed.Elapsed,
            "status shows w2 dead within the node timeout of its SIGKILL",
            () => $"w2 '{w2?["detail"]}' {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL");

        Output.WriteLine($"w2 declared dead {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL: {w2["deathReason"]}");
        Assert.False(string.IsNullOrEmpty((string?)w2["deathReason"]));
        await Assert.ThrowsAsync<NodeDiedException>(async () => await held.WithTimeout());

        // The dead node's last CPU use and running task are gone from its line and from the totals.
        var after = JsonNode.Parse((await Cluster.RunCliAsync("status", "--json")).Stdout)!;
        w2 = after["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2")!;
        Assert.Equal(2, (double)w2["resources"]!["total"]!["CPU"]!);
        Assert.Equal(0, (double)w2["resources"]!["inUse"]!["CPU"]!);
        Assert.Equal(0, (int)w2["tasks"]!["running"]!);
        Assert.Equal(0, (int)after["tasks"]!["running"]!);
        var text = await Cluster.RunCliAsync("status");
        Assert.Contains("Tasks: 0 running", text.Stdout);
        Assert.EndsWith("CPU 0/2", text.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("w2 ", StringComparison.Ordinal)).TrimEnd());

        // Later calls fail at once, and new work goes to the live worker.
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(a => a.Where()).WithTimeout());
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).WithTimeout());
        await Assert.ThrowsAsync<InfeasibleResourcesException>(async () =>
            await client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Placement = new NodeAffinityPlacement("w2") }).WithTimeout());
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_finishes_its_work_and_leaves()
    {
        await StartAsync("w1", "w2");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var markers = Directory.CreateDirectory(Path.Combine(Cluster.RunDirectory, "markers")).FullName;
        var onW2 = new RemoteOptions { Placement = new NodeAffinityPlacement("w2", soft: true), MaxRetries = 3 };
        var refs = Enumerable.Range(0, 4).Select(i => client.Remote(() => ClusterJobs.MarkThenStamp(i, 1500, markers), onW2)).ToList();

        // Stop w2 while tasks run there.
        string[] runningOnW2 = [];
        await Eventually.HoldsAsync(() => (runningOnW2 = [.. Directory.GetFiles(markers, "*@w2#0").Select(Path.GetFileName)!]).Length > 0, Bounded.Default, "a task starts on w2");

        Assert.Equal(0, await Cluster.StopAsync("w2"));
        var stamps = await client.GetAllAsync(refs).WithTimeout();
        Output.WriteLine($"running on w2 at SIGTERM: {string.Join(", ", runningOnW2)}; ran on: {string.Join(", ", stamps.Select(s => $"{s.Index}@{s.NodeId}#{s.Attempt}"))}");
        Assert.Equal([0, 1, 2, 3], stamps.Select(s => s.Index));
        Assert.Contains("stopped", Cluster.Silo("w2").Output);

        // Work that was running on w2 when it got SIGTERM finished there, on its first attempt.
        Assert.All(runningOnW2, marker => Assert.Contains(marker, stamps.Select(s => $"{s.Index}@{s.NodeId}#{s.Attempt}")));

        // w2 said goodbye, so the head counts it out. (Usually at once; a heartbeat that races the goodbye can
        // register it again, and then it is only declared dead after the node timeout.)
        var stopped = Stopwatch.StartNew();
        await Eventually.HoldsAsync(
            async () => !(await client.GetNodesAsync().WithTimeout()).Single(n => n.NodeId == "w2").Alive,
            NodeTimeout + TimeSpan.FromSeconds(8),
            "the head no longer lists the stopped w2 as alive");

        Output.WriteLine($"w2 counted out {stopped.Elapsed.TotalSeconds:0.0} s after its process exited");
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).WithTimeout());
    }

    [Fact]
    public async Task Workers_join_a_restarted_head_again()
    {
        await StartAsync("w1");
        await Cluster.RestartHeadAsync();

        // The new head knows nothing; w1's heartbeats make it register again.
        var status = default(CliResult);
        await Eventually.HoldsAsync(
            async () =>
            {
                status = await Cluster.RunCliAsync("status", "--json", "--address", Cluster.HeadAddress);
                return status.ExitCode == 0 && JsonNode.Parse(status.Stdout)!["nodes"]!.AsArray().Any(n => (string?)n!["id"] == "w1" && (string?)n["state"] == "alive");
            },
            Bounded.Default,
            "w1 rejoins the restarted head",
            () => status?.ToString() ?? "no status yet");

        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).WithTimeout());
    }

    private async Task StartAsync(params string[] workers)
    {
        await Cluster.StartHeadAsync();
        await Task.WhenAll(workers.Select(w => Cluster.StartWorkerAsync(w, "--cpus", "2"))).WithTimeout();
    }
}
