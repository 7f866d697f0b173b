using System.Runtime.CompilerServices;

namespace Granary.Client.Tests;

/// <summary>Objects referred to from inside other objects live while something refers to them, and are freed after.</summary>
public sealed class NestedRefLifetimeTests
{
    private const int Length = 40_000; // 160 KB of ints: stored on a silo, never inline

    [Fact]
    public async Task Inner_objects_live_while_the_outer_object_does_and_are_freed_after()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        var box = new StrongBox<ObjectRef<ObjectRef<int[]>[]>?>();
        await PutOuterAsync(client, box, 3);

        // Only the outer ref is left: the inner ones must survive collection.
        await Collector.CollectAsync(5);
        Assert.Equal(3, store.Count);
        Assert.Equal(0, client.FreedObjects);
        Assert.Equal((0 + 1 + 2) * (long)Length, await SumInnerAsync(client, box));

        box.Value = null;
        await Collector.CollectUntilAsync(() => store.Count == 0 && client.FreedObjects == 3);
        Assert.Equal(0, store.Count);
        Assert.Equal(3, client.FreedObjects);
    }

    [Fact]
    public async Task Objects_a_task_put_and_returned_are_owned_by_the_caller_then_freed()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        var box = new StrongBox<ObjectRef<int[]>[]?>();
        await GetReturnedRefsAsync(client, box);

        // The silo's own refs died with the task; the objects stay because the client holds the refs now.
        await Collector.CollectAsync(5);
        Assert.Equal(2, store.Count);
        Assert.Equal((long)Length, await SumRefsAsync(client, box));

        box.Value = null;
        await Collector.CollectUntilAsync(() => store.Count == 0);
        Assert.Equal(0, store.Count);
        Assert.Equal(2, client.FreedObjects);
    }

    [Fact]
    public async Task An_object_a_task_put_inside_another_lives_with_the_outer_one()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        var box = new StrongBox<ObjectRef<ObjectRef<int[]>[]>?>();
        await GetNestedAsync(client, box);

        await Collector.CollectAsync(5);
        Assert.Equal(1, store.Count);
        Assert.Equal(7L * Length, await SumNestedAsync(box));

        box.Value = null;
        await Collector.CollectUntilAsync(() => store.Count == 0);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task An_object_a_task_put_and_dropped_is_freed_on_its_node()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var store = client.Cluster!.Silos[1].Runtime.Store;
        Assert.Equal(Length, await client.Remote(() => NestedRefJobs.PutAndDrop(Length)).WithTimeout());
        await Collector.CollectUntilAsync(() => store.Count == 0);
        Assert.Equal(0, store.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task PutOuterAsync(GranaryClient client, StrongBox<ObjectRef<ObjectRef<int[]>[]>?> box, int count)
    {
        // The inner uploads are still running when the outer put is made: it waits for them.
        var inner = Enumerable.Range(0, count).Select(i => client.Put(Enumerable.Repeat(i, Length).ToArray())).ToArray();
        box.Value = client.Put(inner);
        await box.Value.WaitAsync().WithTimeout();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<long> SumInnerAsync(GranaryClient client, StrongBox<ObjectRef<ObjectRef<int[]>[]>?> box)
    {
        var outer = box.Value!;
        var onSilo = await client.Remote(() => NestedRefJobs.SumArrays(outer)).WithTimeout();
        long here = 0;
        foreach (var inner in await outer.WithTimeout())
        {
            here += (await inner.WithTimeout()).Sum(v => (long)v);
        }

        Assert.Equal(here, onSilo);
        return here;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task GetReturnedRefsAsync(GranaryClient client, StrongBox<ObjectRef<int[]>[]?> box) =>
        box.Value = await client.Remote(() => NestedRefJobs.PutArrays(2, Length)).WithTimeout();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<long> SumRefsAsync(GranaryClient client, StrongBox<ObjectRef<int[]>[]?> box)
    {
        var refs = box.Value!;
        return await client.Remote(() => NestedRefJobs.SumArrays(refs)).WithTimeout();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task GetNestedAsync(GranaryClient client, StrongBox<ObjectRef<ObjectRef<int[]>[]>?> box) =>
        box.Value = await client.Remote(() => NestedRefJobs.PutNested(Length)).WithTimeout();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<long> SumNestedAsync(StrongBox<ObjectRef<ObjectRef<int[]>[]>?> box)
    {
        var inner = await box.Value!.WithTimeout();
        return (await inner[0].WithTimeout()).Sum(v => (long)v);
    }
}
