using Granary.Testing;

namespace Granary.Client.Tests;

/// <summary>
/// A cluster of its own for a test that kills worker silos: a head with no CPUs, workers of one CPU each, a
/// 2 s node timeout, a client, and a folder the test's actors write to.
/// </summary>
internal sealed class RestartCluster : IAsyncDisposable
{
    private RestartCluster(LocalCluster cluster, GranaryClient client)
    {
        Cluster = cluster;
        Client = client;
        Folder = Path.Combine(Path.GetTempPath(), "granary-restart-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Folder);
    }

    public LocalCluster Cluster { get; }

    public GranaryClient Client { get; }

    public string Folder { get; }

    public static async Task<RestartCluster> StartAsync(int workers)
    {
        var cluster = await LocalCluster.StartSilosAsync(new LocalClusterOptions { Silos = workers, CpusPerSilo = 1, NodeDeadTimeout = TimeSpan.FromSeconds(2) }).WithTimeout();
        try
        {
            return new RestartCluster(cluster, await GranaryClient.ConnectAsync(cluster.HeadAddress).WithTimeout());
        }
        catch
        {
            await cluster.DisposeAsync().WithTimeout();
            throw;
        }
    }

    /// <summary>Kills the node's silo and waits until this client has heard that it died.</summary>
    public async Task KillAsync(string nodeId)
    {
        await Cluster.Silos.Single(s => s.NodeId == nodeId).KillAsync().WithTimeout();
        await Eventually.HoldsAsync(() => Client.HeardNodeDied(nodeId), Bounded.Default, $"the client hears that {nodeId} died");
    }

    public async ValueTask DisposeAsync()
    {
        Phoenix.Release(Folder);
        await Client.DisposeAsync().WithTimeout();
        await Cluster.DisposeAsync().WithTimeout();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed silo's thread may still be writing; the folder is in the temp directory.
        }
    }
}
