namespace Granary.Client.Tests;

public sealed class TransportTests
{
    [Fact]
    public async Task Silos_share_one_connection_per_peer_pair()
    {
        var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var worker = client.Cluster!.Silos[1];

        // The head places the actor by messaging the worker; it must reuse the connection the worker dialed.
        var counter = await client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        Assert.Equal(1, await counter.Call(c => c.Add(1)).WithTimeout());
        Assert.Equal(1, await client.Remote(() => TestJobs.Square(1)).WithTimeout());

        // Only the client dialed the worker; the head did not open a second connection to it.
        Assert.Equal(1, worker.Runtime.AcceptedConnections);
    }
}
