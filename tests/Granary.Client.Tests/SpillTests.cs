namespace Granary.Client.Tests;

/// <summary>Workers whose object stores hold 1 MB: larger working sets spill to disk and still read back.</summary>
public sealed class SpillTests
{
    [Fact]
    public async Task Objects_beyond_the_store_capacity_spill_and_come_back_transparently()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, ObjectStoreCapacityBytes = 1 << 20 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var refs = Enumerable.Range(0, 8).Select(i => client.Put(Enumerable.Repeat(i, 100_000).ToArray())).ToList();
        foreach (var reference in refs)
        {
            await reference.WaitAsync().WithTimeout();
        }

        var store = client.Cluster!.Silos[1].Runtime.Store;
        Assert.True(store.SpilledBytes > 0, "nothing spilled");
        Assert.True(store.Bytes <= 1 << 20);

        // Heartbeats carry the store's figures to the head, where `granary status` shows them.
        var worker = client.Cluster.Silos[1].NodeId;
        await Eventually.HoldsAsync(
            async () => ((await Granary.Silo.StatusCommand.FetchAsync(client.HeadAddress).WithTimeout()).View.Nodes.First(n => n.NodeId == worker).Store?.SpilledBytes ?? 0) > 0,
            TimeSpan.FromSeconds(5),
            "status shows the worker's spilled bytes");

        var sums = refs.Select(r => client.Remote(() => TestJobs.SumInts(r))).ToList();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i * 100_000), await client.GetAllAsync(sums).WithTimeout());
        Assert.Equal(7, (await refs[7].WithTimeout())[99_999]);
    }
}
