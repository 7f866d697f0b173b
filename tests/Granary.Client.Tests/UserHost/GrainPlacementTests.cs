using Granary.Grains.Hosting;
using Granary.TestGrains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Granary.Client.Tests.UserHost;

/// <summary>
/// Granary's placement attributes on a user's own Orleans grains (Granary.TestGrains/Placement): each
/// activation reports the node its silo runs as, and must be where its strategy says.
/// </summary>
public sealed class GrainPlacementTests(GrainPlacementCluster cluster) : IClassFixture<GrainPlacementCluster>
{
    private static readonly string[] Workers = ["gpu-h100", "gpu-a100", "worker-cpu"];

    [Fact]
    public async Task Every_silo_publishes_its_resources_as_silo_metadata()
    {
        var head = cluster.Silos[0].Services;
        var membership = head.GetRequiredService<IClusterMembershipService>();
        var cache = head.GetRequiredService<ISiloMetadataCache>();
        var published = new Dictionary<string, SiloResourceMetadata>();
        await Eventually.HoldsAsync(
            () =>
            {
                foreach (var member in membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active))
                {
                    if (SiloResourceMetadata.Parse(cache.GetSiloMetadata(member.SiloAddress).Metadata) is { } resources)
                    {
                        published[resources.NodeId] = resources;
                    }
                }

                return published.Count == 4;
            },
            Bounded.Default,
            "the head sees the metadata of all four silos",
            () => string.Join(", ", published.Keys));

        Assert.True(published["head"].IsHead);
        Assert.Equal(["H100", "H100"], published["gpu-h100"].GpuTypes);
        Assert.Equal([80L << 30, 80L << 30], published["gpu-h100"].GpuMemoryBytes);
        Assert.Equal(2, published["gpu-h100"].Cpus);
        Assert.Equal(["NVIDIA A100-SXM4-40GB"], published["gpu-a100"].GpuTypes);
        Assert.False(published["worker-cpu"].IsHead);
        Assert.Equal(0, published["worker-cpu"].Gpus);
        Assert.Equal(3, published["worker-cpu"].Resources["disk"]);
    }

    [Fact]
    public async Task A_gpu_type_grain_lands_only_on_silos_with_that_gpu_type()
    {
        Assert.Equal(["gpu-h100"], await NodesOf<H100Grain>("h100-", 4));
        Assert.Equal(["gpu-a100"], await NodesOf<A100Grain>("a100-", 3));
    }

    [Fact]
    public async Task Hard_node_affinity_lands_on_that_node_or_fails()
    {
        Assert.Equal(["worker-cpu"], await NodesOf<HardAffinityGrain>("hard-", 3));

        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => Grain<HardAffinityToAbsentNodeGrain>("hard-absent").Node().WithTimeout());
        Assert.Contains("no-such-node", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Soft_node_affinity_prefers_its_node_and_falls_back_to_packing()
    {
        Assert.Equal(["gpu-a100"], await NodesOf<SoftAffinityGrain>("soft-", 3));

        var fallback = await NodesOf<SoftAffinityToAbsentNodeGrain>("soft-absent-", 3);
        Assert.Single(fallback);
        Assert.Contains(fallback[0], Workers);
    }

    [Fact]
    public async Task Spread_puts_activations_on_every_worker_in_turn_however_busy()
    {
        // Make one worker the busiest by far: spreading by load alone would skip it; taking turns does not.
        await NodesOf<PackGrain>("busy-", 4);
        var nodes = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            nodes.Add(await Grain<SpreadGrain>("spread-" + i).Node().WithTimeout());
        }

        Assert.Equal(Workers.SelectMany(w => new[] { w, w }).Order(), nodes.Order());
    }

    [Fact]
    public async Task Pack_fills_one_worker()
    {
        var nodes = await NodesOf<PackGrain>("pack-", 4);
        Assert.Single(nodes);
        Assert.Contains(nodes[0], Workers);
    }

    [Fact]
    public async Task Prefer_local_lands_on_the_silo_that_activates_it()
    {
        // Activated from a grain on worker-cpu, then from one on gpu-a100.
        Assert.Equal("worker-cpu", await Grain<HardAffinityGrain>("local-caller").NodeOfPreferLocalGrain("local-1").WithTimeout());
        Assert.Equal("gpu-a100", await Grain<SoftAffinityGrain>("local-caller").NodeOfPreferLocalGrain("local-2").WithTimeout());

        // The client's calls are placed by its gateway, the head.
        Assert.Equal("head", await Grain<PreferLocalGrain>("local-3").Node().WithTimeout());
    }

    [Fact]
    public async Task A_placement_group_grain_lands_on_the_node_of_its_bundle()
    {
        var group = await cluster.Client.CreatePlacementGroupAsync([new ResourceBundle(cpus: 1), new ResourceBundle(cpus: 1)], PlacementGroupStrategy.StrictSpread).WithTimeout();
        try
        {
            Assert.NotEqual(group.Bundles[0].NodeId, group.Bundles[1].NodeId);
            for (var bundle = 0; bundle < 2; bundle++)
            {
                using (PlacementGroupPlacement.UseBundle(group, bundle))
                {
                    Assert.Equal(group.Bundles[bundle].NodeId, await Grain<BundleGrain>("bundle-" + bundle).Node().WithTimeout());
                }
            }

            var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => Grain<BundleGrain>("no-bundle").Node().WithTimeout());
            Assert.Contains("UseBundle", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.Client.RemovePlacementGroupAsync(group).WithTimeout();
        }
    }

    private IPlacedGrain Grain<TGrain>(string key)
        where TGrain : PlacedGrain => cluster.Grains.GetGrain<IPlacedGrain>(key, typeof(TGrain).FullName);

    private async Task<string[]> NodesOf<TGrain>(string prefix, int count)
        where TGrain : PlacedGrain
    {
        var nodes = new List<string>();
        for (var i = 0; i < count; i++)
        {
            nodes.Add(await Grain<TGrain>(prefix + i).Node().WithTimeout());
        }

        return nodes.Distinct().ToArray();
    }
}
