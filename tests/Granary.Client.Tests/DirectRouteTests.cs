using Granary.Grains.Hosting;
using Orleans;

namespace Granary.Client.Tests;

/// <summary>
/// A client that connects by address opens an Orleans connection to each worker it works with, so its
/// calls there skip the head's relay; without one (off, or not reachable) calls take the relay and work
/// the same.
/// </summary>
public sealed class DirectRouteTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Tasks_actors_and_objects_on_a_worker_take_a_route_to_that_worker()
    {
        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 }).WithTimeout(TimeSpan.FromSeconds(120));
        var workers = client.Cluster!.Silos.Skip(1).Select(s => s.NodeId).ToList();
        foreach (var worker in workers)
        {
            var pinned = new RemoteOptions { Placement = new NodeAffinityPlacement(worker) };
            Assert.Equal(worker, await client.Remote(() => TestJobs.WhereAmI(), pinned).WithTimeout());
        }

        await Eventually.HoldsAsync(
            () => workers.All(client.RoutedNodes.Contains),
            Bound,
            "the client has a route to each worker it ran a task on",
            () => string.Join(",", client.RoutedNodes));
        Assert.DoesNotContain(client.Cluster.Silos[0].NodeId, client.RoutedNodes);

        // Work keeps flowing over the routes: tasks, an actor, and a value stored on a worker and read back.
        var squares = await client.GetAllAsync(Enumerable.Range(0, 200).Select(i => client.Remote(() => TestJobs.Square(i))).ToList()).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * i), squares);
        var counter = await client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        Assert.Equal(3, await counter.Call(c => c.Add(3)).WithTimeout());
        var big = Enumerable.Range(0, 200_000).Select(i => (double)i).ToArray();
        var stored = client.Put(big);
        Assert.Equal(big.Sum(), await client.Remote(() => MathJobsForRoutes.Sum(stored)).WithTimeout());
        Assert.Equal(big, await stored.GetAsync().AsTask().WithTimeout());
    }

    [Fact]
    public async Task With_routes_off_every_call_takes_the_relay_and_works()
    {
        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Silos = 2,
            CpusPerSilo = 2,
            Client = new ClientOptions { DirectRoutes = false },
        }).WithTimeout(TimeSpan.FromSeconds(120));
        var squares = await client.GetAllAsync(Enumerable.Range(0, 50).Select(i => client.Remote(() => TestJobs.Square(i))).ToList()).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), squares);
        var counter = await client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        Assert.Equal(3, await counter.Call(c => c.Add(3)).WithTimeout());
        Assert.Empty(client.RoutedNodes);
    }

    [Fact]
    public async Task A_route_that_cannot_open_leaves_the_channel_on_the_relay()
    {
        await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 1 }).WithTimeout(TimeSpan.FromSeconds(120));
        await using var routes = new DirectRoutes(new ClientOptions().ClusterId, TimeSpan.FromSeconds(1), logging: null, tls: null);
        var channels = new NodeChannels(client.ClusterClient, routes, client.HeadAddress);
        var worker = client.Cluster!.Silos[1].NodeId;

        // Nothing listens there: the route gives up after its connect timeout.
        var channel = channels.Get(worker, "127.0.0.1:" + ClosedPort());
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(channel.HasRoute);
        Assert.Empty(channels.Routed);
        await channel.Grain.JobEnded("no-such-job").WithTimeout();
    }

    private static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}

public static class MathJobsForRoutes
{
    public static double Sum(double[] values) => values.Sum();
}
