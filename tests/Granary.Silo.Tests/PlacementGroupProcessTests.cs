using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Placement groups on a real cluster of silo processes: a head (no CPUs) and three workers with 2 CPUs
/// each. The cluster is shared by the class; each test has its own client (job) and starts on an idle cluster.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class PlacementGroupProcessTests(PlacementGroupProcessTests.Cluster cluster, ITestOutputHelper output)
    : SharedClusterTest(cluster.Processes, output), IClassFixture<PlacementGroupProcessTests.Cluster>
{
    private static readonly string[] Workers = ["w1", "w2", "w3"];

    [Fact]
    public async Task StrictPack_puts_all_bundles_on_one_node_and_bundle_work_runs_there()
    {
        var group = await CreateAsync(PlacementGroupStrategy.StrictPack, 1, 1);
        var node = Assert.Single(group.Bundles.Select(b => b.NodeId).Distinct());
        Assert.Contains(node, Workers);
        Assert.Equal([0, 1], group.Bundles.Select(b => b.Index));

        // The bundles hold both of that node's CPUs.
        var free = (await Client.GetNodesAsync().WithTimeout()).Single(n => n.NodeId == node).Available;
        Assert.Equal(0, free["CPU"]);

        for (var i = 0; i < 2; i++)
        {
            var index = i;
            var where = await Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { PlacementGroup = group, BundleIndex = index }).WithTimeout();
            Assert.Equal(node, where);
        }
    }

    [Fact]
    public async Task StrictSpread_puts_each_bundle_on_a_different_node_and_bundle_work_runs_there()
    {
        var group = await CreateAsync(PlacementGroupStrategy.StrictSpread, 1, 1, 1);
        Assert.Equal(Workers.Order(), group.Bundles.Select(b => b.NodeId).Order());

        foreach (var bundle in group.Bundles)
        {
            var inBundle = new RemoteOptions { PlacementGroup = group, BundleIndex = bundle.Index };
            var nodes = await GetAllAsync(Enumerable.Range(0, 3).Select(_ => Client.Remote(() => ClusterJobs.HoldThenWhere(20), inBundle)));
            Assert.All(nodes, n => Assert.Equal(bundle.NodeId, n));

            var actor = await Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { PlacementGroup = group, BundleIndex = bundle.Index }).WithTimeout();
            Assert.Equal(bundle.NodeId, actor.NodeId);
            Assert.Equal(bundle.NodeId, await actor.Call(a => a.Where()).WithTimeout());
        }

        // Without a bundle index, work runs in some bundle of the group.
        var anyBundle = await Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { PlacementGroup = group }).WithTimeout();
        Assert.Contains(anyBundle, group.Bundles.Select(b => b.NodeId));
    }

    [Fact]
    public async Task Pack_and_Spread_groups_are_created_and_listed_in_status()
    {
        var pack = await CreateAsync(PlacementGroupStrategy.Pack, 1, 1);
        Assert.Equal(2, pack.Bundles.Count);
        // Both bundles fit on one node, so Pack keeps them together.
        Assert.Single(pack.Bundles.Select(b => b.NodeId).Distinct());

        var spread = await CreateAsync(PlacementGroupStrategy.Spread, 1, 1);
        Assert.Equal(2, spread.Bundles.Count);
        Assert.Equal(2, spread.Bundles.Select(b => b.NodeId).Distinct().Count());
        Assert.All(pack.Bundles.Concat(spread.Bundles), b => Assert.Contains(b.NodeId, Workers));

        var status = await ClusterProcesses.RunCliAsync("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var groups = JsonNode.Parse(status.Stdout)!["placementGroups"]!.AsArray();
        foreach (var group in new[] { pack, spread })
        {
            var listed = Assert.Single(groups, g => (string?)g!["id"] == group.Id)!;
            Assert.Equal(group.Bundles.Select(b => b.NodeId), listed["bundles"]!.AsArray().Select(b => (string?)b!["nodeId"]));
        }
    }

    [Fact]
    public async Task Removing_a_group_frees_its_resources_for_a_waiting_group()
    {
        // The first group takes every CPU of every worker.
        var first = await CreateAsync(PlacementGroupStrategy.StrictSpread, 2, 2, 2);
        Assert.All(await Client.GetNodesAsync().WithTimeout(), n => Assert.Equal(0, n.Available.GetValueOrDefault("CPU")));

        // The second could fit the cluster, but not now: it waits instead of failing.
        var second = Client.CreatePlacementGroupAsync([new ResourceBundle(1), new ResourceBundle(1), new ResourceBundle(1)], PlacementGroupStrategy.StrictSpread);
        await Task.Delay(500);
        Assert.False(second.IsCompleted, "a group that fits the cluster but not its free resources should wait");

        await Client.RemovePlacementGroupAsync(first).WithTimeout();
        var placed = await second.WithTimeout();
        Assert.Equal(Workers.Order(), placed.Bundles.Select(b => b.NodeId).Order());
        Assert.All(await Client.GetNodesAsync().WithTimeout(), n => Assert.Equal(n.IsHead ? 0 : 1, n.Available.GetValueOrDefault("CPU")));

        await Client.RemovePlacementGroupAsync(placed).WithTimeout();
        await ClusterProcesses.WaitForIdleAsync(Client);
    }

    [Fact]
    public async Task Removing_a_group_kills_its_actors()
    {
        var group = await CreateAsync(PlacementGroupStrategy.StrictPack, 1);
        var actor = await Client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { PlacementGroup = group, BundleIndex = 0 }).WithTimeout();
        Assert.Equal(group.Bundles[0].NodeId, await actor.Call(a => a.Where()).WithTimeout());

        await Client.RemovePlacementGroupAsync(group).WithTimeout();
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(a => a.Where()).WithTimeout());
    }

    [Theory]
    [InlineData(PlacementGroupStrategy.StrictSpread, new double[] { 1, 1, 1, 1 })] // more bundles than workers
    [InlineData(PlacementGroupStrategy.StrictPack, new double[] { 2, 1 })] // more than any one node holds
    [InlineData(PlacementGroupStrategy.Pack, new double[] { 16 })] // a bundle bigger than any node
    [InlineData(PlacementGroupStrategy.Spread, new double[] { 1, 3 })]
    public async Task An_infeasible_group_fails_fast(PlacementGroupStrategy strategy, double[] cpus)
    {
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => CreateAsync(strategy, cpus)).WithTimeout();
        Assert.Contains("CPU", error.Message);

        // Nothing was reserved on the way.
        await ClusterProcesses.WaitForIdleAsync(Client, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Work_bigger_than_its_bundle_fails_fast()
    {
        var group = await CreateAsync(PlacementGroupStrategy.StrictPack, 1);
        var task = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { Cpus = 2, PlacementGroup = group, BundleIndex = 0 });
        await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await task.WithTimeout());
    }

    [Fact]
    public async Task Work_in_a_removed_group_fails_instead_of_hanging()
    {
        var group = await CreateAsync(PlacementGroupStrategy.StrictPack, 1);
        await Client.RemovePlacementGroupAsync(group).WithTimeout();
        var task = Client.Remote(() => ClusterJobs.Where(), new RemoteOptions { PlacementGroup = group, BundleIndex = 0 });
        await Assert.ThrowsAnyAsync<GranaryException>(async () => await task.WithTimeout());
    }

    private Task<PlacementGroup> CreateAsync(PlacementGroupStrategy strategy, params double[] cpus) =>
        Client.CreatePlacementGroupAsync(cpus.Select(c => new ResourceBundle(c)), strategy).WithTimeout();

    private static async Task<T[]> GetAllAsync<T>(IEnumerable<ObjectRef<T>> refs) =>
        await Task.WhenAll(refs.ToList().Select(r => r.GetAsync().AsTask())).WithTimeout();

    /// <summary>The shared cluster: head plus three 2-CPU workers, started once for the class.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        public ProcessCluster Processes { get; } = new();

        public async Task InitializeAsync()
        {
            // Nothing here kills nodes, so a longer node timeout keeps a starved worker on a busy machine from being declared dead.
            await Processes.StartHeadAsync("--node-timeout", "10");
            await Task.WhenAll(Workers.Select(w => Processes.StartWorkerAsync(w, "--cpus", "2"))).WithTimeout();
        }

        public async Task DisposeAsync() => await Processes.DisposeAsync();
    }
}
