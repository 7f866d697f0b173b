using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// The `granary` command line as a user runs it: `start` (head and worker processes), `status` (text and
/// --json) and `stop`, each a separate process sharing one GRANARY_RUN_DIR; plus the exit codes of failures.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class CliProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Start_then_status_then_stop()
    {
        await Cluster.StartHeadAsync("--node-timeout", "10");
        await Cluster.StartWorkerAsync("w1", "--cpus", "2", "--memory", "4GB", "--gpus", "1", "--gpu-type", "A100", "--resources", "slot=2");
        // Another cluster with its own run directory, which `granary stop` of the first must leave alone.
        await using var other = new ProcessCluster();
        await other.StartHeadAsync();

        var client = await Cluster.ConnectAsync().WithTimeout();
        await using (client.DisposeWithin())
        {
            var actor = await client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Name = "cli-actor" }).WithTimeout();
            var gate = Cluster.NewGate();
            var busy = Enumerable.Range(0, 2).Select(i => client.Remote(() => ClusterJobs.HoldUntilOpen(gate, i), new RemoteOptions { Cpus = 1 })).ToList();
            await ProcessCluster.WaitStartedAsync(gate, 2);

            // Text: one line per node, GPUs under their node, then actors and tasks.
            var text = await Cluster.RunCliAsync("status");
            Assert.True(text.ExitCode == 0, text.ToString());
            Assert.Contains("Nodes: 2 alive, 0 dead", text.Stdout);
            Assert.Contains(Cluster.HeadAddress, text.Stdout);
            Assert.Contains(Cluster.Silo("w1").Address, text.Stdout);
            Assert.Contains("GPU 0: A100", text.Stdout);
            Assert.Contains("Actors: 1 alive", text.Stdout);
            Assert.Contains("cli-actor", text.Stdout);
            Assert.Contains("Tasks: ", text.Stdout);

            // JSON: wait until the heartbeats report both tasks running.
            JsonNode json = null!;
            var seen = string.Empty;
            await Eventually.HoldsAsync(
                async () =>
                {
                    var status = await Cluster.RunCliAsync("status", "--json");
                    Assert.True(status.ExitCode == 0, status.ToString());
                    seen = status.Stdout;
                    json = JsonNode.Parse(status.Stdout)!;
                    return (int)json["tasks"]!["running"]! == 2;
                },
                TimeSpan.FromSeconds(10),
                "status shows the 2 running tasks",
                () => seen);

            Assert.Equal(Cluster.HeadAddress, (string?)json["head"]);
            var nodes = json["nodes"]!.AsArray();
            Assert.Equal(["head", "w1"], nodes.Select(n => (string?)n!["id"]).Order());
            foreach (var node in nodes)
            {
                Assert.Equal(Cluster.Silo((string)node!["id"]!).Address, (string?)node["address"]);
                Assert.Equal("alive", (string?)node["state"]);
                Assert.Equal(JsonValueKind.Object, node["resources"]!["total"]!.GetValueKind());
                Assert.Equal(JsonValueKind.Object, node["resources"]!["available"]!.GetValueKind());
                Assert.Equal(JsonValueKind.Array, node["gpus"]!.GetValueKind());
            }

            var head = nodes.Single(n => (string?)n!["id"] == "head")!;
            Assert.True((bool)head["isHead"]!);
            Assert.Empty(head["gpus"]!.AsArray());

            var w1 = nodes.Single(n => (string?)n!["id"] == "w1")!;
            var resources = w1["resources"]!;
            Assert.Equal(2, (double)resources["total"]!["CPU"]!);
            Assert.Equal(2, (double)resources["inUse"]!["CPU"]!);
            Assert.Equal(0, (double)resources["available"]!["CPU"]!);
            Assert.Equal(2, (double)resources["total"]!["slot"]!);
            Assert.Equal(1, (double)resources["total"]!["GPU"]!);
            Assert.Equal(4L << 30, (double)resources["total"]!["memory"]!);
            var gpu = Assert.Single(w1["gpus"]!.AsArray())!;
            Assert.Equal("A100", (string?)gpu["type"]);
            Assert.Equal(0, (int)gpu["index"]!);
            Assert.True((bool)w1["gpusSimulated"]!);

            var listed = Assert.Single(json["actors"]!.AsArray(), a => (string?)a!["id"] == actor.Id)!;
            Assert.Equal("cli-actor", (string?)listed["name"]);
            Assert.Equal(typeof(PlacedActor).FullName, (string?)listed["class"]);
            Assert.Equal("alive", (string?)listed["state"]);
            Assert.Equal(actor.NodeId, (string?)listed["nodeId"]);
            Assert.Equal("owned", (string?)listed["lifetime"]);

            var tasks = json["tasks"]!;
            Assert.Equal(2, (int)tasks["running"]!);
            Assert.True((int)tasks["leases"]! >= 2, "two running tasks and an actor hold leases: " + tasks.ToJsonString());
            Assert.Equal(0, (int)tasks["pendingLeaseRequests"]!);

            ProcessCluster.Open(gate);
            Assert.All(await client.GetAllAsync(busy).WithTimeout(), n => Assert.Equal("w1", n));
        }

        // Stop: every silo of this run directory exits, workers first.
        var stop = await Cluster.RunCliAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("stopped worker silo w1", stop.Stdout);
        Assert.Contains("stopped head silo head", stop.Stdout);
        Assert.True(stop.Stdout.IndexOf("silo w1", StringComparison.Ordinal) < stop.Stdout.IndexOf("silo head", StringComparison.Ordinal), stop.Stdout);
        foreach (var id in new[] { "head", "w1" })
        {
            await Cluster.Silo(id).Process.WaitForExitAsync().WithTimeout();
            Assert.Equal(0, Cluster.Silo(id).Process.ExitCode);
        }

        Assert.Empty(Directory.GetFiles(Cluster.RunDirectory, "silo-*.json"));

        // Status now fails with a one-line reason: no head recorded, or (given its address) none reachable.
        AssertOneLineFailure(await Cluster.RunCliAsync("status"));
        var unreachable = await Cluster.RunCliAsync("status", "--json", "--address", Cluster.HeadAddress);
        Assert.Equal(1, unreachable.ExitCode);
        AssertOneLineFailure(unreachable);
        Assert.Contains("cannot reach the head", unreachable.Stderr);

        // The other run directory's head was not touched.
        Assert.False(other.Head.HasExited);
        Assert.Equal(0, (await other.RunCliAsync("status")).ExitCode);
    }

    [Fact]
    public async Task Two_clusters_side_by_side_are_stopped_one_at_a_time()
    {
        // Both clusters write their run files into one folder, as two clusters of one user do by default.
        await Cluster.StartHeadAsync();
        await Cluster.StartWorkerAsync("w1", "--cpus", "1");
        await using var other = new ProcessCluster(Cluster.RunDirectory);
        await other.StartHeadAsync();
        await other.StartWorkerAsync("w1", "--cpus", "1");
        SiloProcess[] first = [Cluster.Head, Cluster.Silo("w1")];
        SiloProcess[] second = [other.Head, other.Silo("w1")];

        // Told nothing, stop and status name both clusters and leave every silo running.
        foreach (var command in new[] { "stop", "status" })
        {
            var refused = await Cluster.RunCliAsync(command);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            AssertOneLineFailure(refused);
            Assert.Contains($"{Cluster.HeadAddress} (head and 1 worker)", refused.Stderr);
            Assert.Contains($"{other.HeadAddress} (head and 1 worker)", refused.Stderr);
            Assert.Contains($"granary {command} --address", refused.Stderr);
            Assert.True(command != "stop" || refused.Stderr.Contains("granary stop --all", StringComparison.Ordinal), refused.Stderr);
        }

        Assert.All(first.Concat(second), s => Assert.False(s.HasExited, $"{s} exited"));

        // --address stops that head and the worker that joined it, workers first, and nothing else.
        var stop = await Cluster.RunCliAsync("stop", "--address", Cluster.HeadAddress);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("stopped worker silo w1", stop.Stdout);
        Assert.Contains("stopped head silo head", stop.Stdout);
        Assert.Equal(2, stop.Stdout.Split('\n').Count(l => l.StartsWith("granary: stopped", StringComparison.Ordinal)));
        foreach (var silo in first)
        {
            using var exited = new CancellationTokenSource(Bound);
            await silo.Process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, silo.Process.ExitCode);
        }

        Assert.All(second, s => Assert.False(s.HasExited, $"{s} exited with the other cluster"));
        var again = await Cluster.RunCliAsync("stop", "--address", Cluster.HeadAddress);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"no silos of the cluster at {Cluster.HeadAddress}", again.Stdout);
        Assert.All(second, s => Assert.False(s.HasExited, $"{s} exited"));

        // The other cluster is now the only one here: status and stop find it by themselves.
        var status = await other.RunCliAsync("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains(other.HeadAddress, status.Stdout);
        Assert.Contains("Nodes: 2 alive, 0 dead", status.Stdout);
        var last = await other.RunCliAsync("stop");
        Assert.True(last.ExitCode == 0, last.ToString());
        foreach (var silo in second)
        {
            using var exited = new CancellationTokenSource(Bound);
            await silo.Process.WaitForExitAsync(exited.Token);
        }

        Assert.Empty(Directory.GetFiles(Cluster.RunDirectory, "silo-*.json"));
    }

    [Fact]
    public async Task Stop_all_stops_every_cluster_on_the_machine()
    {
        await Cluster.StartHeadAsync();
        await using var other = new ProcessCluster(Cluster.RunDirectory);
        await other.StartHeadAsync();

        var stop = await Cluster.RunCliAsync("stop", "--all");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        foreach (var head in new[] { Cluster.Head, other.Head })
        {
            Assert.Contains($"({head.Address}, pid {head.Pid})", stop.Stdout);
            using var exited = new CancellationTokenSource(Bound);
            await head.Process.WaitForExitAsync(exited.Token);
        }
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("start", "--help")]
    [InlineData("status", "--help")]
    [InlineData("stop", "-h")]
    public async Task Help_prints_the_usage_and_exits_0(params string[] args)
    {
        var help = await Cluster.RunCliAsync(args);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.StartsWith(args.Length == 1 ? "usage: granary <command>" : $"usage: granary {args[0]} ", help.Stdout);
        Assert.Empty(help.Stderr);
    }

    [Fact]
    public async Task Stop_with_nothing_running_succeeds()
    {
        var stop = await Cluster.RunCliAsync("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("no silos", stop.Stdout);
    }

    [Fact]
    public async Task Start_with_an_unreachable_head_exits_non_zero_with_a_one_line_reason()
    {
        var start = await Cluster.RunCliAsync(Bound, "start", "--address", "127.0.0.1:1", "--port", "0", "--node-id", "lonely");
        Assert.NotEqual(0, start.ExitCode);
        Assert.NotEqual(2, start.ExitCode);
        AssertOneLineFailure(start);
        Assert.Empty(Directory.GetFiles(Cluster.RunDirectory, "silo-*.json"));
    }

    [Theory]
    [InlineData(0, "--head")]
    [InlineData(1, "--head")]
    [InlineData(0, "--address")]
    public async Task Start_on_a_busy_port_prints_one_line_naming_the_port_and_the_fix(int busyOffset, string role)
    {
        // Something else holds the gateway port (offset 0) or the silo port next to it (offset 1).
        var (port, holder) = PortPairWithOneHeld(busyOffset);
        using var hold = holder;
        string[] args = role == "--head"
            ? ["start", "--head", "--port", $"{port}"]
            : ["start", "--address", (await Cluster.StartHeadAsync()).Address, "--port", $"{port}", "--node-id", "busy"];

        var start = await Cluster.RunCliAsync(Bound, args);
        Assert.Equal(1, start.ExitCode);
        AssertOneLineFailure(start);
        Assert.Contains($"port {port + busyOffset} ", start.Stderr);
        Assert.Contains("is in use", start.Stderr);
        Assert.Contains("--port", start.Stderr);
        // No log lines with the bind's stack trace on either stream.
        Assert.DoesNotContain("   at ", start.Stdout);
        Assert.True(start.Stdout.Length < 500, "expected no silo log before the refusal: " + start);
        Assert.DoesNotContain("Exception", start.Stdout + start.Stderr);
        // Only the head of the worker case left a run file: the refused silo wrote none.
        Assert.Equal(role == "--head" ? 0 : 1, Directory.GetFiles(Cluster.RunDirectory, "silo-*.json").Length);
    }

    /// <summary>A port P with P and P+1 free but for a listener this returns on P + <paramref name="busyOffset"/>.</summary>
    private static (int Port, System.Net.Sockets.Socket Holder) PortPairWithOneHeld(int busyOffset)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            if (port >= 65535)
            {
                continue;
            }

            var sockets = new List<System.Net.Sockets.Socket>();
            try
            {
                foreach (var p in new[] { port, port + 1 })
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    sockets.Add(socket);
                    socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, p));
                    socket.Listen();
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                sockets.ForEach(s => s.Dispose());
                continue;
            }

            // Both were free; keep only the one the test wants busy.
            sockets[1 - busyOffset].Dispose();
            return (port, sockets[busyOffset]);
        }

        throw new InvalidOperationException("found no pair of free adjacent loopback ports in 50 tries");
    }

    [Fact]
    public async Task Start_manages_only_the_gpus_its_CUDA_VISIBLE_DEVICES_lists()
    {
        // As `CUDA_VISIBLE_DEVICES=2,5 granary start --gpus 8 ...` without NVML: two of eight simulated devices.
        // The head has the variable too, and no GPUs to pick from, so it starts as usual.
        Cluster.Environment["CUDA_VISIBLE_DEVICES"] = "2,5";
        await Cluster.StartHeadAsync();
        var worker = await Cluster.StartWorkerAsync("gpu", "--cpus", "1", "--gpus", "8", "--gpu-type", "H100");
        const string Restricted = "simulated: 2 x H100, 16 GiB each (devices 2,5 of 8, from CUDA_VISIBLE_DEVICES;";
        await Eventually.HoldsAsync(() => worker.Output.Contains(Restricted, StringComparison.Ordinal), Bound, "the start-up log says the restriction", () => worker.Output);

        var client = await Cluster.ConnectAsync().WithTimeout();
        await using (client.DisposeWithin())
        {
            var node = Assert.Single(await client.GetNodesAsync().WithTimeout(), n => n.NodeId == "gpu");
            Assert.Equal(2, node.Total["GPU"]);
            // The node's first GPU is device 2: the task's worker process sees it under its own index.
            var seen = await client.Remote(() => ClusterJobs.GpusAndVisibleDevices(), new RemoteOptions { Gpus = 1 }).WithTimeout();
            Assert.Equal("2|2", seen);
        }

        // An entry naming no device stops the silo before it starts, in one line naming the variable, the entry and the devices.
        Cluster.Environment["CUDA_VISIBLE_DEVICES"] = "2,9";
        var refused = await Cluster.RunCliAsync("start", "--address", Cluster.HeadAddress, "--gpus", "8");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        AssertOneLineFailure(refused);
        Assert.Contains("CUDA_VISIBLE_DEVICES='2,9': '9' names no GPU on this node", refused.Stderr);
        Assert.Contains("7 (GPU-simulated-7)", refused.Stderr);
    }

    [Theory]
    [InlineData("start", "--bogus")]
    [InlineData("start", "--head", "--cpus", "lots")]
    [InlineData("start", "--head", "--address", "127.0.0.1:6380")]
    [InlineData("start", "--address", "not-an-address")]
    [InlineData("start", "--head", "--gpu-memory", "12parsecs")]
    [InlineData("status", "--bogus")]
    [InlineData("status", "--address", "nowhere")]
    [InlineData("stop", "--bogus")]
    [InlineData("stop", "--timeout", "-1")]
    [InlineData("frobnicate")]
    public async Task A_bad_flag_exits_2_with_a_one_line_reason(params string[] args)
    {
        var result = await Cluster.RunCliAsync(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertOneLineFailure(result);
    }

    private static void AssertOneLineFailure(CliResult result)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.StartsWith("granary: ", result.Stderr);
        Assert.True(result.Stderr.Trim().Split('\n').Length == 1, "expected a one-line reason on stderr: " + result);
    }
}
