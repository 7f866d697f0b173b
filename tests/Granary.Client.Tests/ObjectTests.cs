namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ObjectTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Put_small_value_is_ready_at_once_and_usable_as_argument()
    {
        var five = Client.Put(5);
        Assert.True(five.IsReady);
        Assert.Equal(5, await five.WithTimeout());
        Assert.Equal(25, await Client.Remote(() => TestJobs.Square(five)).WithTimeout());
    }

    [Fact]
    public async Task Put_large_array_is_resolved_on_the_silo()
    {
        var data = Enumerable.Range(0, 200_000).ToArray();
        var big = Client.Put(data);
        var before = Client.BytesFetched;
        Assert.Equal(data.Sum(v => (long)v), await Client.Remote(() => TestJobs.SumInts(big)).WithTimeout());
        Assert.Equal(before, Client.BytesFetched);
        Assert.Equal(data, await big.WithTimeout());
    }

    [Fact]
    public async Task Large_results_stay_on_the_silo_and_chains_run_without_the_client()
    {
        // A client of its own, so its byte counter starts at zero.
        var c = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        await using var stopC = c.DisposeWithin();
        var range = c.Remote(() => TestJobs.Range(100_000));
        var sum = c.Remote(() => TestJobs.SumInts(range));
        Assert.Equal(Enumerable.Range(0, 100_000).Sum(v => (long)v), await sum.WithTimeout());
        Assert.Equal(0, c.BytesFetched);
        Assert.Equal(100_000, (await range.WithTimeout()).Length);
        Assert.True(c.BytesFetched >= 400_000);
    }

    [Fact]
    public async Task Dependent_tasks_are_submitted_before_their_inputs_finish()
    {
        var first = Client.Remote(() => TestJobs.SquareLater(3));
        var second = Client.Remote(() => TestJobs.Add(first, 1));
        var third = Client.Remote(() => TestJobs.Add(second, first));
        Assert.False(third.IsReady);
        Assert.Equal(19, await third.WithTimeout());
    }

    [Fact]
    public async Task Map_over_refs_resolves_each_ref_remotely()
    {
        var refs = Enumerable.Range(1, 5).Select(i => Client.Remote(() => TestJobs.Square(i))).ToList();
        var plusOne = Client.Map(refs, r => TestJobs.Add(r, 1));
        Assert.Equal(new[] { 2, 5, 10, 17, 26 }, await Client.GetAllAsync(plusOne).WithTimeout());
    }

    [Fact]
    public async Task WaitAsync_follows_ray_wait_semantics()
    {
        var fast = Client.Remote(() => TestJobs.Square(2));
        var slow = Client.Remote(() => TestJobs.Timed(1, 1500));
        var quick = Client.Remote(() => TestJobs.Square(3));
        await fast.WithTimeout();
        await quick.WithTimeout();
        Assert.False(slow.IsReady, "the slow task finished too early: " + (slow.IsReady ? await Describe(slow) : string.Empty));

        var (ready, notReady) = await Client.WaitAsync(new ObjectRef[] { slow, fast, quick }, numReturns: 1).WithTimeout();
        Assert.Equal(new ObjectRef[] { fast }, ready);
        Assert.Equal(new ObjectRef[] { slow, quick }, notReady);

        (ready, notReady) = await Client.WaitAsync(new ObjectRef[] { slow, fast, quick }, numReturns: 3, timeout: TimeSpan.FromMilliseconds(50)).WithTimeout();
        Assert.Equal(new ObjectRef[] { fast, quick }, ready);
        Assert.Equal(new ObjectRef[] { slow }, notReady);

        (ready, notReady) = await Client.WaitAsync(new ObjectRef[] { slow, fast }, numReturns: 2).WithTimeout();
        Assert.Equal(new ObjectRef[] { slow, fast }, ready);
        Assert.Empty(notReady);
    }

    [Fact]
    public async Task WaitAsync_counts_failed_refs_as_ready()
    {
        var failed = Client.Remote(() => TestJobs.Fail("x"));
        var (ready, _) = await Client.WaitAsync(new[] { failed }, numReturns: 1, timeout: TimeSpan.FromSeconds(30)).WithTimeout();
        Assert.True(ready.Count == 1, "one ref should be ready");
    }

    [Fact]
    public async Task WaitAsync_rejects_bad_input()
    {
        var one = Client.Put(1);
        await Assert.ThrowsAsync<ArgumentException>(() => Client.WaitAsync(new[] { one, one })).WithTimeout();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.WaitAsync(new[] { one }, numReturns: 2)).WithTimeout();
    }

    private static async Task<string> Describe(ObjectRef<Interval> reference)
    {
        try
        {
            return (await reference.WithTimeout()).ToString();
        }
        catch (Exception ex)
        {
            return ex.ToString();
        }
    }
}
