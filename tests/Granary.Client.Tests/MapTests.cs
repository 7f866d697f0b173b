namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MapTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Map_returns_refs_in_input_order()
    {
        var refs = Client.Map(Enumerable.Range(0, 100), x => TestJobs.Square(x));
        Assert.Equal(100, refs.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(x => x * x), await Client.GetAllAsync(refs).WithTimeout());
    }

    [Fact]
    public async Task Map_broadcasts_captured_values_and_computes_per_item_expressions()
    {
        var prefix = "p";
        var refs = Client.Map(new[] { 1, 2, 3 }, x => TestJobs.Concat(prefix, x * 10));
        Assert.Equal(new[] { "p10", "p20", "p30" }, await Client.GetAllAsync(refs).WithTimeout());
    }

    [Fact]
    public async Task Map_accepts_async_methods()
    {
        var refs = Client.Map(new[] { 2, 3 }, x => TestJobs.SquareLater(x));
        Assert.Equal(new[] { 4, 9 }, await Client.GetAllAsync(refs).WithTimeout());
    }

    [Fact]
    public async Task StarMap_spreads_tuples_over_parameters_with_broadcast()
    {
        var pairs = Client.StarMap(new[] { (1, 2), (3, 4), (5, 6) }, (a, b) => TestJobs.Add(a, b));
        Assert.Equal(new[] { 3, 7, 11 }, await Client.GetAllAsync(pairs).WithTimeout());

        var fifty = 50;
        var triples = Client.StarMap(new[] { (1, 2, 3), (4, 5, 6) }, (a, b, c) => TestJobs.Add3(a, b, c + fifty));
        Assert.Equal(new[] { 56, 65 }, await Client.GetAllAsync(triples).WithTimeout());

        var words = Client.StarMap(new[] { ("a", 1), ("b", 2) }, (p, n) => TestJobs.Concat(p, n));
        Assert.Equal(new[] { "a1", "b2" }, await Client.GetAllAsync(words).WithTimeout());
    }

    [Fact]
    public async Task Map_spreads_long_tasks_over_every_free_slot()
    {
        // Four tasks and four CPU slots: they should overlap, not queue behind one lease. Each runs until all
        // four are running at once (bounded), so they pass only if the slots really are all in use together.
        using var barrier = new TaskBarrier();
        var folder = barrier.Folder;
        var refs = Client.Map(Enumerable.Range(0, 4), i => TestJobs.TimedTogether(i, folder, 4));
        var intervals = await Client.GetAllAsync(refs).WithTimeout();
        var overlapping = intervals.Count(a => intervals.Any(b => b != a && b.Start < a.End && a.Start < b.End));
        Assert.True(overlapping >= 2, $"expected parallel execution, got {overlapping} overlapping intervals");
    }
}
