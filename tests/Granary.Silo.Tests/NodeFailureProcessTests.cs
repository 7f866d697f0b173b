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
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Killing_a_worker_mid_workload_delivers_every_result_exactly_once()
    {
        await StartAsync("w1", "w2", "w3");
        await using var client = await Cluster.ConnectAsync();
        const int count = 2000;
        var retrying = new RemoteOptions { MaxRetries = 3 };
        var refs = client.Map(Enumerable.Range(0, count), i => ClusterJobs.Stamp(i, 2), retrying);

        // Kill w2 once the workload is well under way, but far from done.
        var deadline = Stopwatch.StartNew();
        while (refs.Count(r => r.IsReady) < 300)
        {
            Assert.True(deadline.Elapsed < Bound, $"only {refs.Count(r => r.IsReady)} of {count} tasks finished in {Bound.TotalSeconds} s");
            await Task.Delay(5);
        }

        await Cluster.KillAsync("w2");
        var readyAtKill = refs.Count(r => r.IsReady);
        Assert.True(readyAtKill < count, "the workload finished before the kill; the test did not exercise a failure");

        var stamps = await client.GetAllAsync(refs).WaitAsync(TimeSpan.FromSeconds(60));
        Output.WriteLine($"ready at kill: {readyAtKill}; per node: {string.Join(", ", stamps.GroupBy(s => s.NodeId).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}; retried: {stamps.Count(s => s.Attempt > 0)}");

        // Every result arrived, once, in order, and is the right one.
        Assert.Equal(Enumerable.Range(0, count), stamps.Select(s => s.Index));
        Assert.Contains(stamps, s => s.NodeId == "w2");
        Assert.Contains(stamps, s => s.Attempt > 0);
        Assert.All(stamps.Where(s => s.Attempt > 0), s => Assert.NotEqual("w2", s.NodeId));
        Assert.All(stamps, s => Assert.InRange(s.Attempt, 0, retrying.MaxRetries));

        // The cluster carries on without w2.
        var after = await client.GetAllAsync(client.Map(Enumerable.Range(0, 20), i => ClusterJobs.Stamp(i, 0))).WaitAsync(Bound);
        Assert.All(after, s => Assert.NotEqual("w2", s.NodeId));
    }

    [Fact]
    public async Task After_a_kill_status_shows_the_node_dead_and_calls_to_its_actor_fail()
    {
        await StartAsync("w1", "w2");
        await using var client = await Cluster.ConnectAsync();
        var actor = await client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Placement = new NodeAffinityPlacement("w2") }).WaitAsync(Bound);
        Assert.Equal("w2", await actor.Call(a => a.Where()).GetAsync().AsTask().WaitAsync(Bound));
        var inFlight = actor.Call(a => a.SleepAsync(60_000));

        // A task holds a CPU on w2 until the kill, and the head has heard so from w2's heartbeat.
        var gate = Cluster.NewGate();
        var held = client.Remote(() => ClusterJobs.HoldUntilOpen(gate, 0), new RemoteOptions { Placement = new NodeAffinityPlacement("w2"), MaxRetries = 0 });
        await ProcessCluster.WaitStartedAsync(gate, 1);
        var heard = Stopwatch.StartNew();
        while (true)
        {
            var status = await Cluster.RunCliAsync("status", "--json");
            Assert.True(status.ExitCode == 0, status.ToString());
            var before = JsonNode.Parse(status.Stdout)!["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2")!;
            if ((int)before["tasks"]!["running"]! == 1 && (double)before["resources"]!["inUse"]!["CPU"]! == 1)
            {
                break;
            }

            Assert.True(heard.Elapsed < Bound, "status never showed the task running on w2: " + status.Stdout);
            await Task.Delay(100);
        }

        var killed = Stopwatch.StartNew();
        await Cluster.KillAsync("w2");

        // Neither the call in flight nor a later one hangs.
        await Assert.ThrowsAsync<ActorDiedException>(async () => await inFlight.GetAsync().AsTask().WaitAsync(Bound));
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(a => a.Where()).GetAsync().AsTask().WaitAsync(Bound));

        // The head declares w2 dead within the node timeout (plus margin for process start-up of `granary status`).
        JsonNode? w2;
        while (true)
        {
            var status = await Cluster.RunCliAsync("status", "--json");
            Assert.True(status.ExitCode == 0, status.ToString());
            var json = JsonNode.Parse(status.Stdout)!;
            w2 = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2");
            if ((string?)w2!["state"] == "dead")
            {
                var listed = json["actors"]!.AsArray().Where(a => (string?)a!["id"] == actor.Id).ToList();
                Assert.All(listed, a => Assert.Equal("dead", (string?)a!["state"]));
                break;
            }

            Assert.True(killed.Elapsed < NodeTimeout + TimeSpan.FromSeconds(8), $"w2 still '{w2["detail"]}' {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL");
            await Task.Delay(200);
        }

        Output.WriteLine($"w2 declared dead {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL: {w2["deathReason"]}");
        Assert.False(string.IsNullOrEmpty((string?)w2["deathReason"]));
        await Assert.ThrowsAsync<NodeDiedException>(async () => await held.GetAsync().AsTask().WaitAsync(Bound));

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
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(a => a.Where()).GetAsync().AsTask().WaitAsync(Bound));
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).GetAsync().AsTask().WaitAsync(Bound));
        await Assert.ThrowsAsync<InfeasibleResourcesException>(async () =>
            await client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Placement = new NodeAffinityPlacement("w2") }).GetAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_finishes_its_work_and_leaves()
    {
        await StartAsync("w1", "w2");
        await using var client = await Cluster.ConnectAsync();
        var markers = Directory.CreateDirectory(Path.Combine(Cluster.RunDirectory, "markers")).FullName;
        var onW2 = new RemoteOptions { Placement = new NodeAffinityPlacement("w2", soft: true), MaxRetries = 3 };
        var refs = Enumerable.Range(0, 4).Select(i => client.Remote(() => ClusterJobs.MarkThenStamp(i, 1500, markers), onW2)).ToList();

        // Stop w2 while tasks run there.
        var deadline = Stopwatch.StartNew();
        string[] runningOnW2;
        while ((runningOnW2 = [.. Directory.GetFiles(markers, "*@w2#0").Select(Path.GetFileName)!]).Length == 0)
        {
            Assert.True(deadline.Elapsed < Bound, "no task started on w2");
            await Task.Delay(20);
        }

        Assert.Equal(0, await Cluster.StopAsync("w2"));
        var stamps = await client.GetAllAsync(refs).WaitAsync(Bound);
        Output.WriteLine($"running on w2 at SIGTERM: {string.Join(", ", runningOnW2)}; ran on: {string.Join(", ", stamps.Select(s => $"{s.Index}@{s.NodeId}#{s.Attempt}"))}");
        Assert.Equal([0, 1, 2, 3], stamps.Select(s => s.Index));
        Assert.Contains("stopped", Cluster.Silo("w2").Output);

        // Work that was running on w2 when it got SIGTERM finished there, on its first attempt.
        Assert.All(runningOnW2, marker => Assert.Contains(marker, stamps.Select(s => $"{s.Index}@{s.NodeId}#{s.Attempt}")));

        // w2 said goodbye, so the head counts it out. (Usually at once; a heartbeat that races the goodbye can
        // register it again, and then it is only declared dead after the node timeout.)
        var stopped = Stopwatch.StartNew();
        while ((await client.GetNodesAsync()).Single(n => n.NodeId == "w2").Alive)
        {
            Assert.True(stopped.Elapsed < NodeTimeout + TimeSpan.FromSeconds(8), "the head still lists the stopped w2 as alive");
            await Task.Delay(100);
        }

        Output.WriteLine($"w2 counted out {stopped.Elapsed.TotalSeconds:0.0} s after its process exited");
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).GetAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Workers_join_a_restarted_head_again()
    {
        await StartAsync("w1");
        await Cluster.RestartHeadAsync();

        // The new head knows nothing; w1's heartbeats make it register again.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var status = await Cluster.RunCliAsync("status", "--json", "--address", Cluster.HeadAddress);
            if (status.ExitCode == 0 && JsonNode.Parse(status.Stdout)!["nodes"]!.AsArray().Any(n => (string?)n!["id"] == "w1" && (string?)n["state"] == "alive"))
            {
                break;
            }

            Assert.True(deadline.Elapsed < Bound, "w1 did not rejoin the restarted head: " + status);
            await Task.Delay(200);
        }

        await using var client = await Cluster.ConnectAsync();
        Assert.Equal("w1", await client.Remote(() => ClusterJobs.Where()).GetAsync().AsTask().WaitAsync(Bound));
    }

    private async Task StartAsync(params string[] workers)
    {
        await Cluster.StartHeadAsync();
        await Task.WhenAll(workers.Select(w => Cluster.StartWorkerAsync(w, "--cpus", "2")));
    }
}
