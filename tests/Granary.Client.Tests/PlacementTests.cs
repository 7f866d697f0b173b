using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>
/// Placement strategies on an embedded cluster of a head and three workers: two plain (2 CPUs), one with
/// two simulated H100s. Where work ran is read from TaskContext.NodeId.
/// </summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private readonly List<SiloHost> _silos = [];
    private GranaryClient _client = null!;

    private string WorkerA => _silos[1].NodeId;

    private string WorkerB => _silos[2].NodeId;

    private string GpuNode => _silos[3].NodeId;

    public async Task InitializeAsync()
    {
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, NodeId = "head" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = _silos[0].Address, Cpus = 2, NodeId = "worker-a" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = _silos[0].Address, Cpus = 2, NodeId = "worker-b" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = _silos[0].Address, Cpus = 2, Gpus = 2, GpuType = "H100", GpuMemoryBytes = 80L << 30, NodeId = "gpu-node" }).WithTimeout());
        _client = await GranaryClient.ConnectAsync(_silos[0].Address, new ClientOptions { LocalNodeId = "worker-b" }).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync().WithTimeout();
        for (var i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].DisposeAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task Pack_fills_one_node_before_the_next()
    {
        var nodes = await TogetherAsync(2, (barrier, n) => _client.Remote(() => PlacementJobs.NodeTogether(barrier, n)));
        Assert.Single(nodes.Distinct());
    }

    [Fact]
    public async Task Spread_puts_work_on_different_nodes()
    {
        var spread = new RemoteOptions { Placement = SpreadPlacement.Instance };
        var nodes = await TogetherAsync(3, (barrier, n) => _client.Remote(() => PlacementJobs.NodeTogether(barrier, n), spread));
        Assert.Equal(3, nodes.Distinct().Count());
    }

    [Fact]
    public async Task A_placement_attribute_applies_when_options_say_nothing()
    {
        var nodes = await TogetherAsync(3, (barrier, n) => _client.Remote(() => PlacementJobs.SpreadNodeTogether(barrier, n)));
        Assert.Equal(3, nodes.Distinct().Count());

        var actors = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var actor = await _client.CreateActorAsync(() => new SpreadActor()).WithTimeout();
            actors.Add(await actor.Call(a => a.Node()).WithTimeout());
        }

        Assert.Equal(3, actors.Distinct().Count());
    }

    [Fact]
    public async Task Hard_node_affinity_always_lands_on_the_node()
    {
        var pinned = new RemoteOptions { Placement = new NodeAffinityPlacement(WorkerB) };
        var nodes = await _client.GetAllAsync(Enumerable.Range(0, 6).Select(_ => _client.Remote(() => PlacementJobs.Node(), pinned)).ToList()).WithTimeout();
        Assert.All(nodes, n => Assert.Equal(WorkerB, n));
    }

    [Fact]
    public async Task Hard_affinity_to_an_unknown_node_fails_fast_and_soft_affinity_falls_back()
    {
        var hard = _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { Placement = new NodeAffinityPlacement("nowhere") });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await hard.WithTimeout());
        Assert.Contains("nowhere", error.Message);

        var soft = await _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { Placement = new NodeAffinityPlacement("nowhere", soft: true) }).WithTimeout();
        Assert.Contains(soft, new[] { WorkerA, WorkerB, GpuNode });
    }

    [Fact]
    public async Task Gpu_type_placement_and_gpu_requests_land_on_gpu_nodes_with_device_ids()
    {
        var byType = await _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { Placement = new GpuTypePlacement("h100") }).WithTimeout();
        Assert.Equal(GpuNode, byType);

        var ids = await _client.Remote(() => PlacementJobs.Gpus(), new RemoteOptions { Gpus = 1 }).WithTimeout();
        Assert.Single(ids);
        Assert.InRange(ids[0], 0, 1);

        var missingType = _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { Placement = new GpuTypePlacement("A100") });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await missingType.WithTimeout());
        Assert.Contains("A100", error.Message);
    }

    [Fact]
    public async Task Fractional_gpus_share_a_device()
    {
        // Both halves are held at once, so the second share is placed while the first still uses its device.
        var half = new RemoteOptions { Gpus = 0.5 };
        var ids = await TogetherAsync(2, (barrier, n) => _client.Remote(() => PlacementJobs.GpusTogether(barrier, n), half));
        Assert.All(ids, i => Assert.Single(i));
        Assert.Equal(ids[0][0], ids[1][0]);
    }

    [Fact]
    public async Task Prefer_local_uses_the_clients_node()
    {
        var local = new RemoteOptions { Placement = PreferLocalPlacement.Instance };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(WorkerB, await _client.Remote(() => PlacementJobs.Node(), local).WithTimeout());
        }

        // When the local node is full, work falls back to the others rather than waiting.
        var nodes = await TogetherAsync(3, (barrier, n) => _client.Remote(() => PlacementJobs.NodeTogether(barrier, n), local));
        Assert.Equal(2, nodes.Count(n => n == WorkerB));
        Assert.Single(nodes, n => n != WorkerB);
    }

    [Fact]
    public async Task Strict_pack_and_strict_spread_groups_lay_bundles_as_asked()
    {
        // Three workers with 2 CPUs each: the spread group takes one CPU on each, the packed one two halves on one.
        var spread = await _client.CreatePlacementGroupAsync([new ResourceBundle(1), new ResourceBundle(1), new ResourceBundle(1)], PlacementGroupStrategy.StrictSpread).WithTimeout();
        Assert.Equal(3, spread.Bundles.Select(b => b.NodeId).Distinct().Count());

        var packed = await _client.CreatePlacementGroupAsync([new ResourceBundle(0.5), new ResourceBundle(0.5)], PlacementGroupStrategy.StrictPack).WithTimeout();
        Assert.Single(packed.Bundles.Select(b => b.NodeId).Distinct());

        for (var i = 0; i < spread.Bundles.Count; i++)
        {
            var index = i;
            var ran = await _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { PlacementGroup = spread, BundleIndex = index }).WithTimeout();
            Assert.Equal(spread.Bundles[index].NodeId, ran);
        }

        var actor = await _client.CreateActorAsync(() => new Counter(0), new ActorOptions { PlacementGroup = packed, BundleIndex = 1, Cpus = 0.5 }).WithTimeout();
        Assert.Equal(packed.Bundles[1].NodeId, actor.NodeId);

        await _client.RemovePlacementGroupAsync(packed).WithTimeout();
        await _client.RemovePlacementGroupAsync(spread).WithTimeout();
        await Assert.ThrowsAsync<ActorDiedException>(async () => await actor.Call(c => c.Add(1)).WithTimeout());
    }

    [Fact]
    public async Task A_group_waits_for_room_and_is_reserved_once_another_is_removed()
    {
        // Every worker CPU (6) in one group; a second group needing 2 CPUs must wait for it.
        var all = await _client.CreatePlacementGroupAsync([new ResourceBundle(2), new ResourceBundle(2), new ResourceBundle(2)], PlacementGroupStrategy.Spread).WithTimeout();
        var waiting = _client.CreatePlacementGroupAsync([new ResourceBundle(2)], PlacementGroupStrategy.Pack);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);

        await _client.RemovePlacementGroupAsync(all).WithTimeout();
        var second = await waiting.WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Single(second.Bundles);
        await _client.RemovePlacementGroupAsync(second).WithTimeout();
    }

    [Fact]
    public async Task A_group_that_can_never_fit_fails_fast()
    {
        var tooMany = await Assert.ThrowsAsync<InfeasibleResourcesException>(() =>
            _client.CreatePlacementGroupAsync(Enumerable.Range(0, 5).Select(_ => new ResourceBundle(1)), PlacementGroupStrategy.StrictSpread)).WithTimeout();
        Assert.Contains("StrictSpread", tooMany.Message);

        await Assert.ThrowsAsync<InfeasibleResourcesException>(() =>
            _client.CreatePlacementGroupAsync([new ResourceBundle(16)], PlacementGroupStrategy.Pack)).WithTimeout();
    }

    /// <summary>
    /// Submits <paramref name="parties"/> tasks that hold their resources until all of them run at once (a
    /// <see cref="TaskBarrier"/>), so where they went is decided while they overlap; returns their results.
    /// </summary>
    private async Task<T[]> TogetherAsync<T>(int parties, Func<string, int, ObjectRef<T>> submit)
    {
        using var barrier = new TaskBarrier();
        return await _client.GetAllAsync(Enumerable.Range(0, parties).Select(_ => submit(barrier.Folder, parties)).ToList()).WithTimeout();
    }

    [Fact]
    public async Task Work_asking_more_than_its_bundle_holds_fails_fast()
    {
        var group = await _client.CreatePlacementGroupAsync([new ResourceBundle(1)], PlacementGroupStrategy.Pack).WithTimeout();
        var tooBig = _client.Remote(() => PlacementJobs.Node(), new RemoteOptions { PlacementGroup = group, Cpus = 2 });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await tooBig.WithTimeout());
        Assert.Contains("bundle", error.Message);
        await _client.RemovePlacementGroupAsync(group).WithTimeout();
    }
}
