namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RemoteTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Static_method_runs_remotely_and_returns_its_value()
    {
        Assert.Equal(49, await Client.Remote(() => TestJobs.Square(7)).WithTimeout());
    }

    [Fact]
    public async Task Work_runs_on_a_worker_silo_not_in_the_client()
    {
        var node = await Client.Remote(() => TestJobs.WhereAmI()).WithTimeout();
        var workers = fixture.Cluster.Silos.Skip(1).Select(s => s.NodeId).ToList();
        Assert.Contains(node, workers);
    }

    [Fact]
    public async Task Task_and_ValueTask_results_are_awaited_on_the_silo()
    {
        Assert.Equal(81, await Client.Remote(() => TestJobs.SquareLater(9)).WithTimeout());
        Assert.Equal(64, await Client.Remote(() => TestJobs.SquareValueTask(8)).WithTimeout());
    }

    [Fact]
    public async Task Void_and_Task_methods_complete()
    {
        var plain = Client.Remote(() => TestJobs.Nothing(1));
        var later = Client.Remote(() => TestJobs.NothingLater());
        await plain.WithTimeout();
        await later.WithTimeout();
        Assert.True(plain.IsReady);
        Assert.True(later.IsReady);
    }

    [Fact]
    public async Task Captured_values_become_arguments()
    {
        var prefix = "item-";
        var point = new Point(1, 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("item-" + i, await Client.Remote(() => TestJobs.Concat(prefix, i)).WithTimeout());
        }

        Assert.Equal(new Point(11, 2), await Client.Remote(() => TestJobs.Move(point, 10)).WithTimeout());
        Assert.Equal(7, await Client.Remote(() => TestJobs.Add(3 + 1, int.Parse("3"))).WithTimeout());
    }

    [Fact]
    public async Task Tuples_round_trip()
    {
        Assert.Equal((4, "n4"), await Client.Remote(() => TestJobs.Pair(4)).WithTimeout());
    }

    [Fact]
    public async Task GetAsync_and_GetAllAsync_return_values_in_order()
    {
        var refs = Enumerable.Range(0, 20).Select(i => Client.Remote(() => TestJobs.Square(i))).ToList();
        Assert.Equal(36, await Client.GetAsync(refs[6]).WithTimeout());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), await Client.GetAllAsync(refs).WithTimeout());
    }

    [Fact]
    public void Instance_methods_are_refused_with_a_pointer_to_actors()
    {
        var text = "abc";
        var error = Assert.Throws<ArgumentException>(() => Client.Remote(() => text.ToUpperInvariant()));
        Assert.Contains("actor", error.Message);
    }

    [Fact]
    public async Task Many_concurrent_tasks_all_complete_exactly_once()
    {
        var refs = Enumerable.Range(0, 2000).Select(i => Client.Remote(() => TestJobs.Add(i, 1))).ToList();
        var values = await Client.GetAllAsync(refs).WithTimeout();
        Assert.Equal(Enumerable.Range(1, 2000), values);
    }
}
