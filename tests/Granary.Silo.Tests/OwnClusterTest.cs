using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Per-test lifecycle for classes whose tests each start their own process cluster: the silos are stopped
/// after the test and their output goes to the test log.
/// </summary>
public abstract class OwnClusterTest(ITestOutputHelper output) : IAsyncLifetime
{
    protected ProcessCluster Cluster { get; } = new();

    protected ITestOutputHelper Output { get; } = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Output.WriteLine(Cluster.AllOutput());
    }
}
