using QuickStart;

namespace Granary.Client.Tests;

/// <summary>
/// The quick start's "Spread" and "Pack" lines show what they claim on every run, on the same embedded
/// cluster the quick start starts (2 workers with 2 CPUs each): Spread puts its two tasks on two nodes,
/// Pack puts both on one, each right after other work whose leases are still going back.
/// </summary>
public sealed class QuickStartTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private GranaryClient _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Spread_runs_on_two_nodes_and_pack_on_one_every_time()
    {
        var spreadOptions = new RemoteOptions { Placement = SpreadPlacement.Instance };
        for (var run = 0; run < 5; run++)
        {
            // As in the quick start: other work comes just before, and its leases are still held or going back.
            await _cluster.GetAllAsync(_cluster.Map(Enumerable.Range(0, 10), x => MathJobs.Square(x))).WaitAsync(Bound);
            var spread = await PlacementDemo.RunAsync(_cluster, spreadOptions).WaitAsync(Bound);
            Assert.True(spread.Distinct().Count() == 2, $"run {run}: Spread ran on {string.Join(", ", spread)}");

            var packed = await PlacementDemo.RunAsync(_cluster).WaitAsync(Bound);
            Assert.True(packed.Distinct().Count() == 1, $"run {run}: Pack ran on {string.Join(", ", packed)}");
        }
    }
}
