namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MultipleReturnTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Each_returned_value_is_a_ref_of_its_own()
    {
        var parts = Client.RemoteMany(() => ReturnJobs.Tens(4), 4);
        Assert.Equal(4, parts.Count);
        Assert.Equal(4, parts.Select(p => p.Id).Distinct().Count());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i * 10, await parts[i].WithTimeout());
        }

        var words = Client.RemoteMany(() => ReturnJobs.Words(3), 3);
        Assert.Equal(["w0", "w1", "w2"], await Client.GetAllAsync(words).WithTimeout());
    }

    [Fact]
    public async Task Tuple_items_keep_their_types_and_a_large_one_stays_on_its_node()
    {
        // 200,000 doubles: 1.6 MB, far above the inline threshold, so that part lives in a silo's store.
        var (label, samples) = Client.RemoteMany(() => ReturnJobs.Labelled(200_000));
        Assert.Equal("n=200000", await label.WithTimeout());
        var values = await samples.WithTimeout();
        Assert.Equal(200_000, values.Length);
        Assert.Equal(199_999d, values[^1]);

        // The large part is an object like any other: a task takes it as an argument.
        Assert.Equal(Enumerable.Range(0, 200_000).Sum(i => (double)i), await Client.Remote(() => TestJobs.SumDoubles(samples)).WithTimeout());

        var (a, b, c) = Client.RemoteMany(() => ReturnJobs.ThreeLater(3));
        Assert.Equal((3, "x3", 3_000_000_000L), (await a.WithTimeout(), await b.WithTimeout(), await c.WithTimeout()));
    }

    [Fact]
    public async Task Parts_of_a_task_in_a_worker_process_arrive_too()
    {
        var options = new RemoteOptions { Isolation = Isolation.Process };
        var (label, samples) = Client.RemoteMany(() => ReturnJobs.Labelled(100_000), options);
        Assert.Equal("n=100000", await label.WithTimeout(TimeSpan.FromSeconds(60)));
        Assert.Equal(99_999d, (await samples.WithTimeout())[^1]);
    }

    [Fact]
    public async Task Returning_another_number_of_values_fails_every_ref_and_says_so()
    {
        var parts = Client.RemoteMany(() => ReturnJobs.Tens(2), 3);
        foreach (var part in parts)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await part.WithTimeout());
            Assert.Contains("submitted with 3 returns but returned 2 values", error.Message);
        }
    }

    [Fact]
    public async Task A_failing_task_fails_every_ref()
    {
        var parts = Client.RemoteMany(() => ReturnJobs.SplitOrFail(-1), 2);
        foreach (var part in parts)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(async () => await part.WithTimeout());
            Assert.Equal("negative count", error.Remote().RemoteMessage);
        }
    }

    [Fact]
    public void A_count_below_one_is_refused_at_submission()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Client.RemoteMany(() => ReturnJobs.Tens(0), 0));
        Assert.Contains("use Remote", error.Message);
    }
}
