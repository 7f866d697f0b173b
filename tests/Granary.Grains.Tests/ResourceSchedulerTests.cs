using Granary.Grains.Head;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

public sealed class ResourceSchedulerTests
{
    private static NodeInfo Node(string id, double cpus, bool head = false, double slot = 0)
    {
        var total = new ResourceMap();
        total.Amounts["CPU"] = cpus;
        if (slot > 0)
        {
            total.Amounts["slot"] = slot;
        }

        return new NodeInfo { NodeId = id, Address = id + ":1", Total = total, Alive = true, IsHead = head };
    }

    private static ResourceSet Cpus(double n) => new([new("CPU", n)]);

    [Fact]
    public async Task An_infeasible_request_fails_at_once_naming_the_resource_and_largest_offer()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(Node("a", 2));
        scheduler.AddNode(Node("b", 4));
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => scheduler.RequestAsync("job", Cpus(8), new Placement(), default));
        Assert.Contains("CPU", error.Message);
        Assert.Contains("b", error.Message);
        Assert.Contains("4", error.Message);
    }

    [Fact]
    public async Task A_request_that_fits_later_waits_and_is_granted_when_a_lease_returns()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(Node("a", 1));
        var first = await scheduler.RequestAsync("job", Cpus(1), new Placement(), default);
        var second = scheduler.RequestAsync("job", Cpus(1), new Placement(), default);
        Assert.False(second.IsCompleted);
        scheduler.Return(first.LeaseId);
        var granted = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("a", granted.NodeId);
        Assert.NotEqual(first.LeaseId, granted.LeaseId);
    }

    [Fact]
    public async Task Never_oversubscribes()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(Node("a", 2));
        scheduler.AddNode(Node("b", 2));
        var grants = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => scheduler.RequestAsync("job", Cpus(1), new Placement(), default)));
        Assert.Equal(2, grants.Count(g => g.NodeId == "a"));
        Assert.Equal(2, grants.Count(g => g.NodeId == "b"));
        Assert.Equal(0, grants[^1].Spare);
        Assert.False(scheduler.RequestAsync("job", Cpus(1), new Placement(), default).IsCompleted);
    }

    [Fact]
    public async Task Pack_fills_a_worker_before_the_next_and_uses_the_head_last()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(Node("head", 4, head: true));
        scheduler.AddNode(Node("a", 4));
        scheduler.AddNode(Node("b", 4));
        var first = await scheduler.RequestAsync("job", Cpus(1), new Placement(), default);
        var second = await scheduler.RequestAsync("job", Cpus(1), new Placement(), default);
        Assert.Equal(first.NodeId, second.NodeId);
        Assert.NotEqual("head", first.NodeId);
    }

    [Fact]
    public async Task A_departed_job_frees_its_leases_and_drops_its_waiting_requests()
    {
        var scheduler = new ResourceScheduler();
        scheduler.AddNode(Node("a", 1));
        await scheduler.RequestAsync("gone", Cpus(1), new Placement(), default);
        var waitingOfGone = scheduler.RequestAsync("gone", Cpus(1), new Placement(), default);
        var waitingOfOther = scheduler.RequestAsync("other", Cpus(1), new Placement(), default);
        scheduler.ReleaseJob("gone");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waitingOfGone);
        Assert.Equal("a", (await waitingOfOther.WaitAsync(TimeSpan.FromSeconds(5))).NodeId);
    }
}
