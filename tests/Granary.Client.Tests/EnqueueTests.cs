namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class EnqueueTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Enqueued_calls_of_one_function_run_one_at_a_time_in_order_without_blocking()
    {
        var refs = Enumerable.Range(0, 5).Select(i => Client.Enqueue(() => TestJobs.Timed(i, 100))).ToList();
        // The caller got every ref back before the first call could have finished.
        Assert.False(refs[^1].IsReady);
        var intervals = await Client.GetAllAsync(refs).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 5), intervals.Select(i => i.Index));
        for (var i = 1; i < intervals.Length; i++)
        {
            Assert.True(intervals[i].Start >= intervals[i - 1].End, $"call {i} started before call {i - 1} ended");
        }
    }

    [Fact]
    public async Task A_failed_enqueued_call_does_not_stop_the_next()
    {
        var failed = Client.Enqueue(() => TestJobs.Fail("first"));
        var next = Client.Enqueue(() => TestJobs.Fail("second"));
        var first = (await Assert.ThrowsAsync<InvalidOperationException>(async () => await failed.WithTimeout())).Remote();
        var second = (await Assert.ThrowsAsync<InvalidOperationException>(async () => await next.WithTimeout())).Remote();
        Assert.Equal("first", first.RemoteMessage);
        Assert.Equal("second", second.RemoteMessage);
    }
}
