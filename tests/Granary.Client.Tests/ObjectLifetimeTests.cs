using System.Runtime.CompilerServices;

namespace Granary.Client.Tests;

/// <summary>An object stored on a silo is freed when the owner no longer refers to it, and not before.</summary>
public sealed class ObjectLifetimeTests
{
    [Fact]
    public async Task Dropped_refs_free_their_stored_values()
    {
        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 });
        var store = client.Cluster!.Silos[1].Runtime.Store;
        for (var i = 0; i < 30; i++)
        {
            await ProduceAndDropAsync(client);
        }

        // Each result was stored on the silo (too large to travel inline); some may already be freed by now.
        for (var i = 0; i < 100 && (store.Count > 0 || client.FreedObjects < 30); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.Equal(0, store.Count);
        Assert.Equal(30, client.FreedObjects);
    }

    [Fact]
    public async Task A_value_a_queued_task_borrows_is_not_freed_when_the_caller_drops_its_ref()
    {
        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 1 });
        var blocker = client.Remote(() => TestJobs.Timed(0, 500));
        var sum = SumOfDroppedPut(client);
        for (var i = 0; i < 5; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        await blocker;
        Assert.Equal(200_000L, await sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task ProduceAndDropAsync(GranaryClient client) =>
        await client.Remote(() => TestJobs.Range(100_000)).WaitAsync();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ObjectRef<long> SumOfDroppedPut(GranaryClient client)
    {
        var ones = client.Put(Enumerable.Repeat(1, 200_000).ToArray());
        return client.Remote(() => TestJobs.SumInts(ones));
    }
}
