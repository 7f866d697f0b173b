using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Placement strategies on a real cluster of silo processes: a head (no CPUs) and three workers, "cpu"
/// (2 CPUs, slot=1), "h100" (2 CPUs, 2 simulated H100s with 80 GB) and "a100" (2 CPUs, 1 simulated A100).
/// The cluster is shared by the class; each test has its own client (job) and starts on an idle cluster.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class PlacementProcessTests(PlacementProcessTests.Cluster cluster, ITestOutputHelper output)
    : SharedClusterTest(cluster.Processes, output), IClassFixture<PlacementProcessTests.Cluster>
{
    private static readonly string[] Workers = ["cpu", "h100", "a100"];

    [Fact]
    public async Task Pack_puts_parallel_tasks_on_one_worker_while_it_has_room()
    {
        var pack = new RemoteOptions { Cpus = 1, Placement = PackPlacement.Instance };
        var pair = await RunTogetherAsync(2, pack);
        Assert.Single(pair.Distinct());
        Assert.Contains(pair[0], Workers);

        await ClusterProcesses.WaitForIdleAsync(Client);
        // Four at once: the first worker fills up (2 CPUs), then the next one takes the other two.
        var four = await RunTogetherAsync(4, pack);
        var perNode = four.GroupBy(n => n).Select(g => g.Count()).OrderBy(c => c).ToArray();
        Assert.True(perNode.SequenceEqual([2, 2]), "four 1-CPU tasks should fill two 2-CPU workers, got " + string.Join(", ", four));
    }

    [Fact]
    public async Task Spread_puts_parallel_tasks_on_different_workers()
    {
        var spread = new RemoteOptions { Cpus = 1, Placement = SpreadPlacement.Instance };
        var nodes = await RunTogetherAsync(3, spread);
        Assert.Equal(Workers.Order(), nodes.Order());
    }

    [Fact]
    public async Task Spread_puts_actors_on_different_workers()
    {
        var spread = new ActorOptions { Placement = SpreadPlacement.Instance };
        var nodes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var actor = await Client.CreateActorAsync(() => new PlacedActor(), spread).WithTimeout();
            var where = await actor.Call(a => a.Where()).WithTimeout();
            Assert.Equal(actor.NodeId, where);
            nodes.Add(where);
        }

        Assert.Equal(Workers.Order(), nodes.Order());
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("a100")]
    public async Task Hard_node_affinity_always_lands_on_the_named_node(string node)
    {
        var pinned = new RemoteOptions { Cpus = 1, Placement = new NodeAffinityPlacement(node) };
        var nodes = await GetAllAsync(Enumerable.Range(0, 6).Select(_ => Client.Remote(() => ClusterJobs.HoldThenWhere(50), pinned)));
        Assert.All(nodes, n => Assert.Equal(node, n));

        var actor = await Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Placement = new NodeAffinityPlacement(node) }).WithTimeout();
        Assert.Equal(node, actor.NodeId);
        Assert.Equal(node, await actor.Call(a => a.Where()).WithTimeout());
    }

    [Fact]
    public async Task Hard_node_affinity_to_an_unknown_node_fails_fast()
    {
        var task = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Placement = new NodeAffinityPlacement("no-such-node") });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await task.WithTimeout());
        Assert.Contains("no-such-node", error.Message);

        var actor = await Assert.ThrowsAsync<InfeasibleResourcesException>(() =>
            Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Placement = new NodeAffinityPlacement("no-such-node") }).WithTimeout());
        Assert.Contains("no-such-node", actor.Message);
    }

    [Fact]
    public async Task Soft_node_affinity_to_an_unknown_node_falls_back_to_a_live_worker()
    {
        var soft = new RemoteOptions { Cpus = 1, Placement = new NodeAffinityPlacement("no-such-node", soft: true) };
        var node = await Client.Remote(() => ClusterJobs.Where(), soft).WithTimeout();
        Assert.Contains(node, Workers);
    }

    [Fact]
    public async Task Soft_node_affinity_to_a_full_node_falls_back_while_hard_affinity_waits_for_it()
    {
        // An actor holding both of "cpu"'s CPUs fills it.
        var hog = await Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Cpus = 2, Placement = new NodeAffinityPlacement("cpu") }).WithTimeout();
        Assert.Equal("cpu", hog.NodeId);

        var soft = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Cpus = 1, Placement = new NodeAffinityPlacement("cpu", soft: true) });
        var fellBackTo = await soft.WithTimeout();
        Assert.NotEqual("cpu", fellBackTo);
        Assert.Contains(fellBackTo, Workers);

        var hard = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Cpus = 1, Placement = new NodeAffinityPlacement("cpu") });
        await Task.Delay(500);
        Assert.False(hard.IsReady, "hard affinity must wait for the full node, not fall back");

        await hog.KillAsync().WithTimeout();
        Assert.Equal("cpu", await hard.WithTimeout());
    }

    [Fact]
    public async Task Gpu_type_placement_lands_only_on_the_node_with_that_gpu_type()
    {
        var h100 = new RemoteOptions { Gpus = 1, Placement = new GpuTypePlacement("H100") };
        var placed = await GetAllAsync(Enumerable.Range(0, 4).Select(_ => Client.Remote(() => ClusterJobs.Describe(200), h100)));
        Assert.All(placed, p =>
        {
            Assert.Equal("h100", p.NodeId);
            var id = Assert.Single(p.GpuIds);
            Assert.InRange(id, 0, 1);
        });

        // Without asking for a GPU, the type still restricts the nodes.
        var cpuOnly = new RemoteOptions { Cpus = 1, Placement = new GpuTypePlacement("h100") };
        var nodes = await GetAllAsync(Enumerable.Range(0, 3).Select(_ => Client.Remote(() => ClusterJobs.HoldThenWhere(100), cpuOnly)));
        Assert.All(nodes, n => Assert.Equal("h100", n));

        var a100 = await Client.Remote(() => ClusterJobs.Describe(0), new RemoteOptions { Gpus = 1, Placement = new GpuTypePlacement("A100") }).WithTimeout();
        Assert.Equal("a100", a100.NodeId);
        Assert.Equal([0], a100.GpuIds);
    }

    [Fact]
    public async Task Gpu_type_nobody_has_fails_fast()
    {
        var task = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Gpus = 1, Placement = new GpuTypePlacement("V100") });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await task.WithTimeout());
        Assert.Contains("V100", error.Message);
    }

    [Fact]
    public async Task Gpu_tasks_see_their_gpu_ids()
    {
        var one = await GetAllAsync(Enumerable.Range(0, 3).Select(_ => Client.Remote(() => ClusterJobs.Describe(200), new RemoteOptions { Gpus = 1 })));
        Assert.All(one, p =>
        {
            Assert.Contains(p.NodeId, new[] { "h100", "a100" });
            Assert.Single(p.GpuIds);
        });

        var two = await Client.Remote(() => ClusterJobs.Describe(0), new RemoteOptions { Gpus = 2 }).WithTimeout();
        Assert.Equal("h100", two.NodeId);
        Assert.Equal([0, 1], two.GpuIds.Order());

        var cpu = await Client.Remote(() => ClusterJobs.Describe(0), new RemoteOptions { Cpus = 1 }).WithTimeout();
        Assert.Empty(cpu.GpuIds);

        var actor = await Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Gpus = 1, Placement = new GpuTypePlacement("A100") }).WithTimeout();
        Assert.Equal("a100", actor.NodeId);
        var actorGpus = await actor.Call(a => a.Gpus()).WithTimeout();
        Assert.Equal([0], actorGpus);
    }

    [Theory]
    [InlineData("CPU")]
    [InlineData("GPU")]
    [InlineData("unicorn")]
    public async Task A_request_no_node_can_ever_fit_fails_fast_naming_the_resource(string resource)
    {
        var options = resource switch
        {
            "CPU" => new RemoteOptions { Cpus = 64 },
            "GPU" => new RemoteOptions { Gpus = 4 },
            _ => new RemoteOptions { Resources = { [resource] = 1 } },
        };
        var task = Client.Remote(() => ClusterJobs.Where(), options);
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await task.WithTimeout());
        Assert.Contains(resource, error.Message);

        // The cluster is unharmed: ordinary work still runs.
        Assert.Contains(await Client.Remote(() => ClusterJobs.Where()).WithTimeout(), Workers);
    }

    [Fact]
    public async Task Queued_work_runs_when_resources_free_up_and_never_oversubscribes()
    {
        var slot = new RemoteOptions { Cpus = 0, Resources = { ["slot"] = 1 } };
        var results = await GetAllAsync(Enumerable.Range(0, 3).Select(_ => Client.Remote(() => ClusterJobs.CountOverlap(300), slot)));
        Assert.All(results, r =>
        {
            Assert.Equal("cpu", r.NodeId);
            Assert.Equal(1, r.MostAtOnce);
        });
    }

    [Fact]
    public async Task Prefer_local_uses_the_clients_local_node_when_it_has_room()
    {
        var local = await ClusterProcesses.ConnectAsync(new ClientOptions { LocalNodeId = "a100" }).WithTimeout();
        await using var stopLocal = local.DisposeWithin();
        var nodes = await RunTogetherAsync(2, new RemoteOptions { Cpus = 1, Placement = PreferLocalPlacement.Instance }, local);
        Assert.All(nodes, n => Assert.Equal("a100", n));
    }

    [Fact]
    public async Task Nodes_report_their_offers()
    {
        var nodes = (await Client.GetNodesAsync().WithTimeout()).ToDictionary(n => n.NodeId);
        Assert.Equal(["a100", "cpu", "h100", "head"], nodes.Keys.Order());
        Assert.True(nodes["head"].IsHead);
        Assert.Equal(0, nodes["head"].Total.GetValueOrDefault("CPU"));
        Assert.Equal(2, nodes["cpu"].Total["CPU"]);
        Assert.Equal(1, nodes["cpu"].Total["slot"]);
        Assert.Equal(2, nodes["h100"].Total["GPU"]);
        Assert.Equal(1, nodes["a100"].Total["GPU"]);
        Assert.All(nodes.Values, n => Assert.True(n.Alive));
    }

    /// <summary>Runs <paramref name="count"/> tasks (of this test's client, or <paramref name="client"/>) that all hold their resources at the same time; returns where each ran.</summary>
    private async Task<string[]> RunTogetherAsync(int count, RemoteOptions options, GranaryClient? client = null)
    {
        var gate = ClusterProcesses.NewGate();
        var submitter = client ?? Client;
        var refs = Enumerable.Range(0, count).Select(i => submitter.Remote(() => ClusterJobs.HoldUntilOpen(gate, i), options)).ToList();
        try
        {
            await ProcessCluster.WaitStartedAsync(gate, count);
        }
        finally
        {
            ProcessCluster.Open(gate);
        }

        return await GetAllAsync(refs);
    }

    private static async Task<T[]> GetAllAsync<T>(IEnumerable<ObjectRef<T>> refs) =>
        await Task.WhenAll(refs.ToList().Select(r => r.GetAsync().AsTask())).WithTimeout();

    /// <summary>The shared cluster: head plus the three workers, started once for the class.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        public ProcessCluster Processes { get; } = new();

        public async Task InitializeAsync()
        {
            // Nothing here kills nodes, so a longer node timeout keeps a starved worker on a busy machine from being declared dead.
            await Processes.StartHeadAsync("--node-timeout", "10");
            await Task.WhenAll(
                Processes.StartWorkerAsync("cpu", "--cpus", "2", "--resources", "slot=1"),
                Processes.StartWorkerAsync("h100", "--cpus", "2", "--gpus", "2", "--gpu-type", "H100", "--gpu-memory", "80GB"),
                Processes.StartWorkerAsync("a100", "--cpus", "2", "--gpus", "1", "--gpu-type", "A100")).WithTimeout();
        }

        public async Task DisposeAsync() => await Processes.DisposeAsync();
    }
}
