namespace Granary.Client.Tests;

/// <summary>Ray's get and wait at the edges: a get's time limit, an empty wait, and wait pulling values to the caller.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GetAndWaitTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_get_that_runs_out_of_time_throws_GetTimeoutException_and_the_task_goes_on()
    {
        var slow = Client.Remote(() => TestJobs.Timed(1, 1500));
        var error = await Assert.ThrowsAsync<GetTimeoutException>(() => slow.GetAsync(TimeSpan.FromMilliseconds(100)).AsTask()).WithTimeout();
        Assert.Equal(slow.Id, error.ObjectId);
        Assert.Equal(TimeSpan.FromMilliseconds(100), error.Timeout);
        Assert.Contains(slow.Id, error.Message);

        // Nothing was lost: the same ref still gets its value.
        Assert.Equal(1, (await slow.GetAsync(TimeSpan.FromSeconds(30)).AsTask().WithTimeout()).Index);
    }

    [Fact]
    public async Task GetAllAsync_with_a_timeout_names_the_first_ref_not_ready_in_time()
    {
        var fast = Client.Remote(() => TestJobs.Timed(1, 0));
        var slow = Client.Remote(() => TestJobs.Timed(2, 1500));
        await fast.WithTimeout();
        var error = await Assert.ThrowsAsync<GetTimeoutException>(() => Client.GetAllAsync([fast, slow], TimeSpan.FromMilliseconds(200))).WithTimeout();
        Assert.Equal(slow.Id, error.ObjectId);
        var both = await Client.GetAllAsync([fast, slow], TimeSpan.FromSeconds(30)).WithTimeout();
        Assert.Equal(new[] { 1, 2 }, both.Select(i => i.Index));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.GetAllAsync([fast], TimeSpan.FromSeconds(-2))).WithTimeout();
    }

    [Fact]
    public async Task A_get_that_has_its_value_in_time_returns_it()
    {
        var square = Client.Remote(() => TestJobs.Square(9));
        Assert.Equal(81, await square.GetAsync(TimeSpan.FromSeconds(30)).AsTask().WithTimeout());
        Assert.Equal(81, await Client.GetAsync(square, Timeout.InfiniteTimeSpan).AsTask().WithTimeout());
    }

    [Fact]
    public async Task WaitAsync_on_an_empty_list_returns_two_empty_lists()
    {
        var (ready, notReady) = await Client.WaitAsync(Array.Empty<ObjectRef>()).WithTimeout();
        Assert.Empty(ready);
        Assert.Empty(notReady);
    }

    [Fact]
    public async Task WaitAsync_pulls_a_value_stored_on_a_node_before_calling_it_ready()
    {
        // 400 KB: over the inline limit, so the result stays in the worker's store.
        var stored = Client.Remote(() => TestJobs.Bytes(400_000));
        await stored.WithTimeout();
        var fetched = Client.BytesFetched;

        var (ready, _) = await Client.WaitAsync([stored]).WithTimeout();
        Assert.Equal(new[] { stored }, ready);
        Assert.True(Client.BytesFetched - fetched >= 400_000, $"the wait pulled {Client.BytesFetched - fetched} bytes of a 400,000-byte value");

        // The get reads the copy the wait pulled: no bytes move again.
        var afterWait = Client.BytesFetched;
        Assert.Equal(400_000, (await stored.GetAsync().AsTask().WithTimeout()).Length);
        Assert.Equal(afterWait, Client.BytesFetched);
    }

    [Fact]
    public async Task WaitAsync_without_fetchLocal_pulls_nothing()
    {
        var stored = Client.Remote(() => TestJobs.Bytes(400_000));
        await stored.WithTimeout();
        var fetched = Client.BytesFetched;

        var (ready, _) = await Client.WaitAsync([stored], fetchLocal: false).WithTimeout();
        Assert.Equal(new[] { stored }, ready);
        Assert.Equal(fetched, Client.BytesFetched);
        Assert.Equal(400_000, (await stored.GetAsync().AsTask().WithTimeout()).Length);
        Assert.True(Client.BytesFetched - fetched >= 400_000, "the get fetched the value");
    }
}
