using System.Text.Json.Nodes;
using Granary.Runtime.Wire;

namespace Granary.Silo.Tests;

/// <summary>
/// How `granary status` prints a head's report, from reports built by hand. The head keeps a dead node's
/// last reservations and heartbeat counts (NodeFailureProcessTests shows it on a real cluster); status
/// must not show them as in use or running, nor add them to the cluster's totals.
/// </summary>
public sealed class StatusCommandTests
{
    private const string Head = "127.0.0.1:6380";

    [Fact]
    public void A_dead_node_shows_nothing_in_use_running_or_stored_in_json()
    {
        var json = StatusCommand.ToJson(Report(), Head);
        var nodes = json["nodes"]!.AsArray();
        var dead = nodes.Single(n => (string?)n!["id"] == "w2")!;
        Assert.Equal("dead", (string?)dead["state"]);
        Assert.Equal(4, (double)dead["resources"]!["total"]!["CPU"]!);
        Assert.Equal(1, (double)dead["resources"]!["total"]!["GPU"]!);
        AssertAllZero(dead["resources"]!["inUse"]!, "CPU", "GPU");
        AssertAllZero(dead["resources"]!["available"]!, "CPU", "GPU");
        Assert.Equal(0, (int)dead["tasks"]!["running"]!);
        Assert.Equal(0, (int)dead["tasks"]!["queued"]!);
        Assert.Equal(0, (int)dead["store"]!["objects"]!);
        Assert.Equal(0, (long)dead["store"]!["memoryBytes"]!);
        Assert.Equal(0, (long)dead["store"]!["spilledBytes"]!);
        Assert.Equal("killed", (string?)dead["deathReason"]);

        // The live node is reported as the head sees it, and only it counts toward the totals.
        var alive = nodes.Single(n => (string?)n!["id"] == "w1")!;
        Assert.Equal(1, (double)alive["resources"]!["inUse"]!["CPU"]!);
        Assert.Equal(1, (double)alive["resources"]!["available"]!["CPU"]!);
        Assert.Equal(1, (int)alive["tasks"]!["running"]!);
        Assert.Equal(5, (int)alive["store"]!["objects"]!);
        Assert.Equal(1, (int)json["tasks"]!["running"]!);
        Assert.Equal(2, (int)json["tasks"]!["queued"]!);
    }

    [Fact]
    public void A_dead_node_shows_nothing_in_use_running_or_stored_in_text()
    {
        var lines = StatusCommand.ToText(Report(), Head).Split('\n');
        Assert.Contains("Nodes: 2 alive, 1 dead", lines);
        var dead = Array.FindIndex(lines, l => l.TrimStart().StartsWith("w2 ", StringComparison.Ordinal));
        Assert.EndsWith("CPU 0/4, GPU 0/1", lines[dead].TrimEnd());
        Assert.Contains("      died: killed", lines);
        Assert.EndsWith("CPU 1/2", Assert.Single(lines, l => l.TrimStart().StartsWith("w1 ", StringComparison.Ordinal)).TrimEnd());
        Assert.Single(lines, l => l.Contains("store:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Tasks: 1 running, 2 queued on nodes;", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_node_shows_its_newest_silo_in_Orleans_membership_in_json_and_text()
    {
        // w2 ran twice (two generations); Orleans declared the newer one dead too. The head has no row in Orleans' view here.
        OrleansSilo[] silos =
        [
            new("w1", "S127.0.0.1:40003:100", "Active", 100),
            new("w2", "S127.0.0.1:40005:90", "Dead", 90),
            new("w2", "S127.0.0.1:40005:120", "Dead", 120),
        ];
        var json = StatusCommand.ToJson(Report(), Head, silos);
        var nodes = json["nodes"]!.AsArray();
        var w1 = nodes.Single(n => (string?)n!["id"] == "w1")!;
        Assert.Equal("Active", (string?)w1["orleans"]!["status"]);
        Assert.Equal("S127.0.0.1:40003:100", (string?)w1["orleans"]!["silo"]);
        var w2 = nodes.Single(n => (string?)n!["id"] == "w2")!;
        Assert.Equal("Dead", (string?)w2["orleans"]!["status"]);
        Assert.Equal("S127.0.0.1:40005:120", (string?)w2["orleans"]!["silo"]);
        Assert.Null(nodes.Single(n => (string?)n!["id"] == "head")!["orleans"]);
        Assert.Equal(3, json["silos"]!.AsArray().Count);

        var lines = StatusCommand.ToText(Report(), Head, silos).Split('\n');
        Assert.Contains("orleans:Active", Assert.Single(lines, l => l.TrimStart().StartsWith("w1 ", StringComparison.Ordinal)));
        Assert.Contains("orleans:Dead", Assert.Single(lines, l => l.TrimStart().StartsWith("w2 ", StringComparison.Ordinal)));
        Assert.Contains("orleans:-", Assert.Single(lines, l => l.TrimStart().StartsWith("head ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Each_gpu_shows_measured_and_reserved_memory_and_the_head_lists_its_profiles_in_json_and_text()
    {
        var report = Report();
        var w1 = report.View.Nodes.Single(n => n.NodeId == "w1");
        w1.Gpus.Add(new GpuInfo { Index = 0, Type = "H100", MemoryBytes = 80 * GpuMemory.GB });
        w1.Gpus.Add(new GpuInfo { Index = 1, Type = "H100", MemoryBytes = 80 * GpuMemory.GB });
        w1.Metrics = new NodeSample();
        w1.Metrics.Gpus.Add(new GpuSample { Index = 0, MemoryUsedBytes = 30 * GpuMemory.GB, MemoryTotalBytes = 80 * GpuMemory.GB });
        var busy = new GpuReservation { NodeId = "w1", Index = 0, ReservedBytes = 33 * GpuMemory.GB, ReservedShare = 0.4125, MemoryBytes = 80 * GpuMemory.GB };
        busy.JobTypes.Add("app::Jobs.Train(Int32)");
        report.GpuReservations.Add(busy);
        report.GpuReservations.Add(new GpuReservation { NodeId = "w1", Index = 1, MemoryBytes = 80 * GpuMemory.GB });
        // The dead node's last reservation must not show: nothing runs there any more.
        report.GpuReservations.Add(new GpuReservation { NodeId = "w2", Index = 0, ReservedBytes = 1 << 30, ReservedShare = 0.0625, MemoryBytes = 16L << 30 });
        report.GpuProfiles.Add(new GpuProfileInfo { JobType = "app::Jobs.Train(Int32)", State = "known", PeakBytes = 30 * GpuMemory.GB, Runs = 4, OutOfMemory = 1, Outgrown = 2 });
        report.GpuProfiles.Add(new GpuProfileInfo { JobType = "app::Jobs.Broken()", State = "unknown", Failures = 2, LastError = "InvalidOperationException: no data" });

        var json = StatusCommand.ToJson(report, Head);
        var gpus = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w1")!["gpus"]!.AsArray();
        Assert.Equal("H100", (string?)gpus[0]!["type"]);
        Assert.Equal(80 * GpuMemory.GB, (long)gpus[0]!["memoryBytes"]!);
        Assert.Equal(30 * GpuMemory.GB, (long)gpus[0]!["measuredBytes"]!);
        Assert.Equal(33 * GpuMemory.GB, (long)gpus[0]!["reservedBytes"]!);
        Assert.Equal(0.4125, (double)gpus[0]!["reservedShare"]!);
        Assert.Equal(["app::Jobs.Train(Int32)"], gpus[0]!["jobTypes"]!.AsArray().Select(t => (string?)t));
        Assert.Null(gpus[1]!["measuredBytes"]);
        Assert.Equal(0, (long)gpus[1]!["reservedBytes"]!);
        Assert.Empty(gpus[1]!["jobTypes"]!.AsArray());
        var dead = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "w2")!["gpus"]![0]!;
        Assert.Equal(0, (long)dead["reservedBytes"]!);
        Assert.Null(dead["measuredBytes"]);

        var profiles = json["gpuProfiles"]!.AsArray();
        Assert.Equal(["app::Jobs.Train(Int32)", "app::Jobs.Broken()"], profiles.Select(p => (string?)p!["jobType"]));
        Assert.Equal("known", (string?)profiles[0]!["state"]);
        Assert.Equal(30 * GpuMemory.GB, (long)profiles[0]!["peakBytes"]!);
        Assert.Equal(4, (int)profiles[0]!["runs"]!);
        Assert.Equal(1, (int)profiles[0]!["outOfMemory"]!);
        Assert.Equal(2, (int)profiles[0]!["outgrown"]!);
        Assert.Equal(2, (int)profiles[1]!["failures"]!);
        Assert.Equal("InvalidOperationException: no data", (string?)profiles[1]!["lastError"]);

        var lines = StatusCommand.ToText(report, Head).Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("      GPU 0: H100, 74 GiB; measured 30 GB, reserved 33 GB (41%) of 80 GB: app::Jobs.Train(Int32)", lines);
        Assert.Contains("      GPU 1: H100, 74 GiB; measured -, reserved 0 GB (0%) of 80 GB", lines);
        Assert.Contains("      GPU 0: A100, 16 GiB", lines);
        Assert.Contains("GPU profiles: 2", lines);
        var known = Assert.Single(lines, l => l.EndsWith("  app::Jobs.Train(Int32)", StringComparison.Ordinal) && l.StartsWith("  known", StringComparison.Ordinal));
        Assert.Equal(["known", "30", "GB", "4", "0", "1", "2", "app::Jobs.Train(Int32)"], known.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var broken = lines.FindIndex(l => l.EndsWith("  app::Jobs.Broken()", StringComparison.Ordinal));
        Assert.Equal(["unknown", "-", "0", "2", "0", "0", "app::Jobs.Broken()"], lines[broken].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("      last error: InvalidOperationException: no data", lines[broken + 1]);
    }

    [Fact]
    public void A_report_without_gpu_memory_work_adds_an_empty_profile_list_and_no_profile_table()
    {
        var json = StatusCommand.ToJson(Report(), Head);
        Assert.Empty(json["gpuProfiles"]!.AsArray());
        Assert.DoesNotContain("GPU profiles", StatusCommand.ToText(Report(), Head));
    }

    private static void AssertAllZero(JsonNode map, params string[] names)
    {
        Assert.Equal(names, map.AsObject().Select(p => p.Key).Order());
        Assert.All(names, name => Assert.Equal(0, (double)map[name]!));
    }

    [Fact]
    public void Status_lists_each_actors_namespace_and_the_namespaces_with_live_actors()
    {
        var report = Report();
        report.Actors.Add(new ActorInfo { ActorId = "a1", Name = "counter", Namespace = "red", State = ActorState.Alive, TypeName = "Counter", NodeId = "w1" });
        report.Actors.Add(new ActorInfo { ActorId = "a2", Name = "counter", Namespace = "blue", State = ActorState.Alive, TypeName = "Counter", NodeId = "w1" });
        report.Actors.Add(new ActorInfo { ActorId = "a3", State = ActorState.Alive, TypeName = "Counter", NodeId = "w1" });
        report.Actors.Add(new ActorInfo { ActorId = "a4", Namespace = "gone", State = ActorState.Dead, TypeName = "Counter" });

        var json = StatusCommand.ToJson(report, Head);
        Assert.Equal(["blue", "default", "red"], json["namespaces"]!.AsArray().Select(n => (string?)n!["name"]));
        Assert.Equal("red", (string?)json["actors"]!.AsArray().Single(a => (string?)a!["id"] == "a1")!["namespace"]);
        Assert.Equal("default", (string?)json["actors"]!.AsArray().Single(a => (string?)a!["id"] == "a3")!["namespace"]);

        var text = StatusCommand.ToText(report, Head);
        Assert.Contains("Namespaces: blue (1 alive actors), default (1 alive actors), red (1 alive actors)", text);
        Assert.Contains("namespace red)", text);
    }

    /// <summary>A head, a live worker running one task of two CPUs' worth, and a dead one with stale figures from its last heartbeat.</summary>
    [Fact]
    public void The_connected_jobs_show_with_their_live_actors_in_json_and_text()
    {
        var report = Report();
        report.Jobs.Add(new JobInfo { JobId = "job-a", StartedUnixMs = 1_700_000_000_000, LastSeenMsAgo = 250 });
        report.Actors.Add(new ActorInfo { ActorId = "a-1", JobId = "job-a", State = ActorState.Alive, NodeId = "w1", TypeName = "Counter" });
        report.Actors.Add(new ActorInfo { ActorId = "a-2", JobId = "job-a", State = ActorState.Dead, NodeId = "w2", TypeName = "Counter" });
        var job = Assert.Single(StatusCommand.ToJson(report, Head)["jobs"]!.AsArray())!;
        Assert.Equal("job-a", (string?)job["id"]);
        Assert.Equal(1_700_000_000_000, (long)job["startedAtUnixMs"]!);
        Assert.Equal(250, (long)job["lastSeenMsAgo"]!);
        Assert.Equal(1, (int)job["actors"]!);
        Assert.Contains("Jobs: 1 (job-a)", StatusCommand.ToText(report, Head).Split('\n'));
    }

    private static StatusReport Report()
    {
        var report = new StatusReport { View = new ClusterView { HeadNodeId = "head" }, ClusterId = "cluster-test", Leases = 1 };
        report.View.Nodes.Add(Node("head", isHead: true, NodeState.Alive, cpus: (0, 0)));
        var w1 = Node("w1", isHead: false, NodeState.Alive, cpus: (2, 1), running: 1, queued: 2);
        w1.Store = new ObjectStoreStats { Objects = 5, MemoryBytes = 5 << 20, CapacityBytes = 1L << 30 };
        report.View.Nodes.Add(w1);
        var w2 = Node("w2", isHead: false, NodeState.Dead, cpus: (4, 1), running: 3, queued: 4);
        w2.Total.Amounts["GPU"] = 1;
        w2.Available.Amounts["GPU"] = 0;
        w2.Gpus.Add(new GpuInfo { Index = 0, Type = "A100", MemoryBytes = 16L << 30 });
        w2.Store = new ObjectStoreStats { Objects = 9, MemoryBytes = 9 << 20, SpilledBytes = 3 << 20, CapacityBytes = 1L << 30 };
        w2.DeathReason = "killed";
        report.View.Nodes.Add(w2);
        return report;
    }

    private static NodeInfo Node(string id, bool isHead, NodeState state, (double Total, double Available) cpus, int running = 0, int queued = 0)
    {
        var node = new NodeInfo
        {
            NodeId = id,
            Address = "127.0.0.1:" + (40000 + id.Length),
            IsHead = isHead,
            State = state,
            Alive = state != NodeState.Dead,
            Total = new ResourceMap(),
            Available = new ResourceMap(),
            RunningTasks = running,
            QueuedTasks = queued,
        };
        node.Total.Amounts["CPU"] = cpus.Total;
        node.Available.Amounts["CPU"] = cpus.Available;
        return node;
    }
}
