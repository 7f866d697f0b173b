namespace Granary.Silo.Tests;

/// <summary>A multi-rank launch across two `granary start` worker processes with one simulated T4 each.</summary>
public sealed class DistributedProcessTests : IAsyncLifetime
{
    private readonly ProcessCluster _cluster = new();

    public async Task InitializeAsync()
    {
        await _cluster.StartHeadAsync("--node-timeout", "10");
        await Task.WhenAll(
            _cluster.StartWorkerAsync("t4-a", "--cpus", "1", "--gpus", "1", "--gpu-type", "T4"),
            _cluster.StartWorkerAsync("t4-b", "--cpus", "1", "--gpus", "1", "--gpu-type", "T4")).WithTimeout();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Ranks_on_two_silo_processes_all_reduce_node_to_node()
    {
        await using var client = await _cluster.ConnectAsync().WithTimeout();

        var outputs = await client.Distributed(new DistributedOptions { Gpus = 2, GpuType = "T4", CpusPerRank = 0.5 })
            .RunAsync(ctx => LaunchJobs.ReduceAndReport(ctx)).WithTimeout(TimeSpan.FromSeconds(90));

        var parts = outputs.Select(o => o.Split('|')).ToList();
        Assert.Equal(["t4-a", "t4-b"], parts.Select(p => p[0]).Order());
        Assert.Equal(["0", "1"], parts.Select(p => p[1]));
        Assert.All(parts, p => Assert.Equal("0", p[2]));
        Assert.All(parts, p => Assert.Equal("3", p[3]));
    }
}
