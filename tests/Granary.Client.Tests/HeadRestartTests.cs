using Granary.Grains;
using Granary.Grains.Tests;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>A head backed by a real redis-server is killed and restarted on the same address: its tables come back.</summary>
public sealed class HeadRestartTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _redis;

    public HeadRestartTests(RedisServerFixture redis) => _redis = redis;

    [Fact]
    public async Task Named_detached_actors_and_membership_survive_a_head_restart()
    {
        var head = await StartHeadAsync(port: 0);
        var port = int.Parse(head.Address.Split(':')[1]);
        // The restart takes both of the first head's ports: its silo port was chosen free too, not --port + 1.
        var siloPort = int.Parse(head.Runtime.SiloEndpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var worker = await StartWorkerAsync(head.Address, cpus: 2);
        await using var stopWorker = worker.DisposeWithin();
        var name = "service-" + Guid.NewGuid().ToString("N");
        var creator = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
        await using (creator.DisposeWithin())
        {
            var service = await creator.CreateActorAsync(() => new Counter(40), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1 }).WithTimeout();
            Assert.Equal(41, await service.Call(c => c.Add(1)).WithTimeout());
        }

        await head.KillAsync().WithTimeout();
        head = await StartHeadAsync(port, siloPort);
        try
        {
            var client = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopClient = client.DisposeWithin();

            // The worker reconnects on its own and is alive again, with the actor's CPU still reserved.
            IReadOnlyList<NodeDescription> nodes = [];
            await Eventually.HoldsAsync(
                async () => (nodes = await client.GetNodesAsync().WithTimeout()).Any(x => x.NodeId == "worker-1" && x.Alive && x.Available.GetValueOrDefault("CPU") == 1),
                TimeSpan.FromSeconds(10),
                "worker-1 is alive again at the restarted head with the actor's CPU still reserved",
                () => string.Join("; ", nodes.Select(n => $"{n.NodeId} alive={n.Alive} available={string.Join(",", n.Available)}")));
            Assert.Contains(nodes, n => n.NodeId == "worker-1");

            var found = await client.GetActorAsync<Counter>(name).WithTimeout();
            Assert.Equal(42, await found.Call(c => c.Add(1)).WithTimeout());

            // It is still the detached service: a new client can kill it, and then it is gone.
            await found.KillAsync().WithTimeout();
            await Assert.ThrowsAsync<ActorNotFoundException>(() => client.GetActorAsync<Counter>(name)).WithTimeout();
        }
        finally
        {
            await head.DisposeAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task A_named_actor_keeps_its_namespace_across_a_head_restart()
    {
        var head = await StartHeadAsync(port: 0);
        var port = int.Parse(head.Address.Split(':')[1]);
        // The restart takes both of the first head's ports: its silo port was chosen free too, not --port + 1.
        var siloPort = int.Parse(head.Runtime.SiloEndpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var worker = await StartWorkerAsync(head.Address, cpus: 2);
        await using var stopWorker = worker.DisposeWithin();
        var name = "ns-service-" + Guid.NewGuid().ToString("N");
        var red = new ClientOptions { Namespace = "red" };
        var creator = await GranaryClient.ConnectAsync(head.Address, red).WithTimeout();
        await using (creator.DisposeWithin())
        {
            var service = await creator.CreateActorAsync(() => new Counter(10), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1 }).WithTimeout();
            Assert.Equal(11, await service.Call(c => c.Add(1)).WithTimeout());
        }

        await head.KillAsync().WithTimeout();
        head = await StartHeadAsync(port, siloPort);
        try
        {
            var outsider = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopOutsider = outsider.DisposeWithin();
            var client = await GranaryClient.ConnectAsync(head.Address, red).WithTimeout();
            await using var stopClient = client.DisposeWithin();

            var found = await client.GetActorAsync<Counter>(name).WithTimeout();
            Assert.Equal(12, await found.Call(c => c.Add(1)).WithTimeout());
            await Assert.ThrowsAsync<ActorNotFoundException>(() => outsider.GetActorAsync<Counter>(name)).WithTimeout();
            await found.KillAsync().WithTimeout();
        }
        finally
        {
            await head.DisposeAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task A_client_hears_when_the_head_goes_away_and_when_it_is_back_and_its_job_carries_on()
    {
        var head = await StartHeadAsync(port: 0);
        var port = int.Parse(head.Address.Split(':')[1]);
        // The restart takes both of the first head's ports: its silo port was chosen free too, not --port + 1.
        var siloPort = int.Parse(head.Runtime.SiloEndpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var worker = await StartWorkerAsync(head.Address, cpus: 1);
        await using var stopWorker = worker.DisposeWithin();
        var client = await GranaryClient.ConnectAsync(head.Address, new ClientOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(200) }).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var changes = new System.Collections.Concurrent.ConcurrentQueue<HeadConnectionChangedEventArgs>();
        client.HeadConnectionChanged += (_, change) => changes.Enqueue(change);
        Assert.True(client.HeadReachable);
        Assert.Equal(4, await client.Remote(() => TestJobs.Square(2)).WithTimeout());

        await head.KillAsync().WithTimeout();
        await Eventually.HoldsAsync(() => !client.HeadReachable && changes.Any(c => !c.Reachable), TimeSpan.FromSeconds(10), "the client noticed that the head is gone");
        var lost = changes.First(c => !c.Reachable);
        Assert.Equal(head.Address, lost.HeadAddress);
        Assert.NotNull(lost.Error);

        head = await StartHeadAsync(port, siloPort);
        try
        {
            await Eventually.HoldsAsync(() => client.HeadReachable && changes.Any(c => c.Reachable), TimeSpan.FromSeconds(30), "the client hears the restarted head");
            var back = changes.Last();
            Assert.True(back.Reachable);
            Assert.True(back.UnreachableFor > TimeSpan.Zero, $"unreachable for {back.UnreachableFor}");
            Assert.Equal(2, changes.Count);

            // The same client's job goes on at the restarted head.
            Assert.Equal(9, await client.Remote(() => TestJobs.Square(3)).WithTimeout());
        }
        finally
        {
            await head.DisposeAsync().WithTimeout();
        }
    }

    // Orleans ends every activation whose grain-directory entry lived on a silo that died. With eight actors
    // on a two-silo ring, some entries are on the head's partition (all eight missing it: 1 in 256), so a
    // head restart must not lose them: the worker keeps each actor and a later call's activation adopts it.
    [Fact]
    public async Task Actors_whose_directory_entries_died_with_the_head_carry_on_with_their_state()
    {
        var head = await StartHeadAsync(port: 0);
        var port = int.Parse(head.Address.Split(':')[1]);
        // The restart takes both of the first head's ports: its silo port was chosen free too, not --port + 1.
        var siloPort = int.Parse(head.Runtime.SiloEndpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var worker = await StartWorkerAsync(head.Address, cpus: 8);
        await using var stopWorker = worker.DisposeWithin();
        var names = Enumerable.Range(0, 8).Select(i => $"kept-{i}-" + Guid.NewGuid().ToString("N")).ToList();
        var creator = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
        await using (creator.DisposeWithin())
        {
            foreach (var (name, i) in names.Select((n, i) => (n, i)))
            {
                var actor = await creator.CreateActorAsync(() => new Counter(i * 10), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1 }).WithTimeout();
                Assert.Equal(i * 10 + 1, await actor.Call(c => c.Add(1)).WithTimeout());
            }
        }

        await head.KillAsync().WithTimeout();
        head = await StartHeadAsync(port, siloPort);
        try
        {
            var client = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopClient = client.DisposeWithin();
            await Eventually.HoldsAsync(
                async () => (await client.GetNodesAsync().WithTimeout()).Any(x => x.NodeId == "worker-1" && x.Alive),
                TimeSpan.FromSeconds(10),
                "worker-1 is alive again at the restarted head");

            foreach (var (name, i) in names.Select((n, i) => (n, i)))
            {
                var found = await client.GetActorAsync<Counter>(name).WithTimeout();
                Assert.Equal(i * 10 + 2, await found.Call(c => c.Add(1)).WithTimeout());
            }
        }
        finally
        {
            await head.DisposeAsync().WithTimeout();
        }
    }

    /// <summary>The head, on Redis, with a 3 s node timeout; <paramref name="port"/> 0 picks a free one, a restart passes the old one.</summary>
    private async Task<SiloHost> StartHeadAsync(int port, int siloPort = 0) =>
        await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, Port = port, SiloPort = siloPort, RedisAddress = _redis.Address, NodeDeadTimeout = TimeSpan.FromSeconds(3), HeartbeatInterval = TimeSpan.FromMilliseconds(200), NodeId = "head" }).WithTimeout();

    private static async Task<SiloHost> StartWorkerAsync(string headAddress, int cpus) =>
        await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = headAddress, Cpus = cpus, NodeId = "worker-1", HeartbeatInterval = TimeSpan.FromMilliseconds(200) }).WithTimeout();
}
