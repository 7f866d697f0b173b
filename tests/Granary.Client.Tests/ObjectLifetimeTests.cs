using System.Runtime.CompilerServices;

namespace Granary.Client.Tests;

/// <summary>An object stored on a silo is freed when the owner no longer refers to it, and not before.</summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class ObjectLifetimeTests
{
    [Fact]
    public async Task Dropped_refs_free_their_stored_values()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        for (var i = 0; i < 30; i++)
        {
            await ProduceAndDropAsync(client);
        }

        // Each result was stored on the silo (too large to travel inline); some may already be freed by now.
        await Collector.CollectUntilAsync(() => store.Count == 0 && client.FreedObjects >= 30);

        Assert.Equal(0, store.Count);
        Assert.Equal(30, client.FreedObjects);
    }

    /// <summary>
    /// The bounded version of "a loop of a million Remote calls whose refs are dropped keeps memory flat": no
    /// forced collections inside the loop, so only the runtime's own freeing (finalizer → batched free) keeps
    /// the store from holding every result.
    /// </summary>
    [Fact]
    public async Task A_long_loop_of_dropped_refs_keeps_the_store_and_the_heap_bounded()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        const int Calls = 4_000;
        const long ResultBytes = 30_000 * sizeof(int);  // over the 100 KiB inline threshold: each result is stored
        long peakStored = 0;
        long heapAfterWarmup = 0;
        for (var i = 0; i < Calls; i++)
        {
            await ProduceAndDropAsync(client, 30_000);
            peakStored = Math.Max(peakStored, store.Bytes + store.SpilledBytes);
            if (i == Calls / 4)
            {
                heapAfterWarmup = await SettledHeapAsync(store);
            }
        }

        var heapAtEnd = await SettledHeapAsync(store);

        // 4,000 results of 120 KB are 480 MB. Frees follow the collector's rhythm: the store holds what piled
        // up between two collections (measured 70-133 MB, more when earlier tests left the heap large), which
        // does not grow with the number of calls. A leak holds them all, so the bound is half.
        Assert.True(peakStored < Calls * ResultBytes / 2, $"the store held up to {peakStored:N0} bytes of dropped results");

        // Three quarters of the loop later the heap (client and silos share this process) has not grown with it.
        Assert.True(heapAtEnd - heapAfterWarmup < 16L << 20, $"heap grew from {heapAfterWarmup:N0} to {heapAtEnd:N0} bytes");
        Assert.Equal(0, store.Count);
    }

    /// <summary>Live heap once every dropped result has been collected and its free has reached the store.</summary>
    private static async Task<long> SettledHeapAsync(Runtime.Objects.ObjectStore store)
    {
        await Collector.CollectUntilAsync(() => store.Count == 0);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [Fact]
    public async Task A_value_a_queued_task_borrows_is_not_freed_when_the_caller_drops_its_ref()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var blocker = client.Remote(() => TestJobs.Timed(0, 500));
        var sum = SumOfDroppedPut(client);
        await Collector.CollectAsync(5);

        await blocker.WithTimeout();
        Assert.Equal(200_000L, await sum.WithTimeout());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task ProduceAndDropAsync(GranaryClient client, int count = 100_000) =>
        await client.Remote(() => TestJobs.Range(count)).WaitAsync().WithTimeout();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ObjectRef<long> SumOfDroppedPut(GranaryClient client)
    {
        var ones = client.Put(Enumerable.Repeat(1, 200_000).ToArray());
        return client.Remote(() => TestJobs.SumInts(ones));
    }
}
