using Granary.Grains.Head;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

/// <summary>The head's placement of GPU memory requests, without a cluster: packing across nodes, wholes and shares, the margin.</summary>
public sealed class GpuMemorySchedulerTests
{
    private const long GB = 1_000_000_000;

    private static NodeInfo GpuNode(string id, int gpus, long memory)
    {
        var total = new ResourceMap();
        total.Amounts["CPU"] = 64;
        total.Amounts["GPU"] = gpus;
        var node = new NodeInfo { NodeId = id, Address = id + ":1", Total = total, Alive = true };
        node.Gpus.AddRange(Enumerable.Range(0, gpus).Select(i => new GpuInfo { Index = i, Type = "Sim", MemoryBytes = memory }));
        return node;
    }

    private static readonly ResourceSet NoCpu = new();

    private static Task<LeaseGrant> Bytes(ResourceScheduler scheduler, long bytes) =>
        scheduler.RequestAsync("job", NoCpu, new Placement(), new GpuMemoryRequest { Bytes = bytes, JobType = "t@" + bytes }, default);

    [Fact]
    public async Task Declared_bytes_fill_the_device_they_fit_best_across_nodes()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(GpuNode("a", 2, 80 * GB));
        scheduler.AddNode(GpuNode("b", 2, 80 * GB));
        var first = await Bytes(scheduler, 50 * GB);
        var second = await Bytes(scheduler, 20 * GB);
        // The 20 GB go beside the 50 GB (10 GB left there), not onto an empty device.
        Assert.Equal((first.NodeId, first.GpuIds[0]), (second.NodeId, second.GpuIds[0]));
        var third = await Bytes(scheduler, 20 * GB);
        Assert.NotEqual((first.NodeId, first.GpuIds[0]), (third.NodeId, third.GpuIds[0]));
        Assert.False(third.GpuMemory.Profiling);
        Assert.Equal(20 * GB, third.GpuMemory.ReservedBytes);
    }

    [Fact]
    public async Task The_best_fit_may_be_on_another_node()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(GpuNode("a", 1, 80 * GB));
        scheduler.AddNode(GpuNode("b", 1, 80 * GB));
        Assert.Equal("a", (await Bytes(scheduler, 30 * GB)).NodeId);
        Assert.Equal("b", (await Bytes(scheduler, 60 * GB)).NodeId);
        // 15 GB leave 5 GB on b's device and 35 GB on a's: b's is the better fit.
        Assert.Equal("b", (await Bytes(scheduler, 15 * GB)).NodeId);
    }

    [Fact]
    public async Task A_whole_gpu_request_never_lands_on_a_device_with_memory_tasks()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(GpuNode("a", 1, 80 * GB));
        var memory = await Bytes(scheduler, 4 * GB);
        var whole = scheduler.RequestAsync("job", new ResourceSet([new("GPU", 1)]), new Placement(), default);
        Assert.False(whole.IsCompleted);
        scheduler.Return(memory.LeaseId);
        Assert.Equal([0], (await whole.WaitAsync(TimeSpan.FromSeconds(10))).GpuIds);
    }

    [Fact]
    public async Task A_profile_whose_margin_passes_the_device_takes_the_whole_device()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(GpuNode("a", 1, 80 * GB));
        var request = new GpuMemoryRequest { JobType = "big" };
        var profiling = await scheduler.RequestAsync("job", NoCpu, new Placement(), request, default);
        Assert.True(profiling.GpuMemory.Profiling);
        scheduler.ReportGpuUse(new GpuUseReport { LeaseId = profiling.LeaseId, JobType = "big", PeakBytes = 75 * GB, Outcome = GpuRunOutcome.Succeeded, Profiling = true });
        scheduler.Return(profiling.LeaseId);

        // 75 GB and 10 % is more than the device has; it still runs there, alone.
        var packed = await scheduler.RequestAsync("job", NoCpu, new Placement(), request, default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(packed.GpuMemory.Profiling);
        Assert.Equal(80 * GB, packed.GpuMemory.ReservedBytes);
    }

    [Fact]
    public async Task Declared_bytes_larger_than_every_device_are_infeasible()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(GpuNode("a", 2, 40 * GB));
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => Bytes(scheduler, 50 * GB));
        Assert.Contains("40 GB", error.Message);
    }
}
