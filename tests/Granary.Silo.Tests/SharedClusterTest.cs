using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Per-test lifecycle for classes that share one process cluster: each test gets its own client (job),
/// starts on an idle cluster, and leaves the silos' output for that test in the test log.
/// </summary>
public abstract class SharedClusterTest(ProcessCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private IReadOnlyDictionary<SiloProcess, int>? _mark;

    protected ProcessCluster ClusterProcesses { get; } = cluster;

    protected GranaryClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _mark = ClusterProcesses.OutputMark();
        Client = await ClusterProcesses.ConnectAsync().WithTimeout();
        await ClusterProcesses.WaitForIdleAsync(Client);
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync().WithTimeout();
        output.WriteLine(ClusterProcesses.AllOutput(_mark));
    }
}
