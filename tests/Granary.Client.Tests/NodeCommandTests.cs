namespace Granary.Client.Tests;

/// <summary>GranaryClient.RunOnEveryNodeAsync (Runhouse's cluster.run) on an embedded cluster: a head and two workers.</summary>
public sealed class NodeCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private GranaryClient _client = null!;

    public async Task InitializeAsync() =>
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 1 }).WithTimeout();

    public async Task DisposeAsync() => await _client.DisposeAsync().WithTimeout();

    [Fact]
    public async Task A_command_runs_once_on_every_node_and_each_answers_with_its_exit_code_and_output()
    {
        var nodes = (await _client.GetNodesAsync()).Where(n => n.Alive).Select(n => n.NodeId).Order(StringComparer.Ordinal).ToList();
        var results = await _client.RunOnEveryNodeAsync("echo out-$$; echo err >&2; exit 3").WithTimeout(Bound);

        Assert.Equal(nodes, results.Select(r => r.NodeId));
        Assert.Equal(3, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal(3, r.ExitCode);
            Assert.StartsWith("out-", r.Output, StringComparison.Ordinal);
            Assert.Equal("err\n", r.Errors);
            Assert.False(r.TimedOut);
        });
        // Three shells, one per node.
        Assert.Equal(3, results.Select(r => r.Output).Distinct().Count());
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_with_its_children()
    {
        var marker = Path.Combine(Path.GetTempPath(), "granary-run-" + Guid.NewGuid().ToString("N"));
        var results = await _client.RunOnEveryNodeAsync($"echo started; (sleep 3; touch {marker}) & sleep 30", TimeSpan.FromSeconds(1)).WithTimeout(Bound);

        Assert.All(results, r =>
        {
            Assert.True(r.TimedOut);
            Assert.Equal(124, r.ExitCode);
            Assert.Equal("started\n", r.Output);
        });
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(File.Exists(marker), "a child of a killed command lived on");
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_runs()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _client.RunOnEveryNodeAsync(" "));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.RunOnEveryNodeAsync("true", TimeSpan.Zero));
    }
}
