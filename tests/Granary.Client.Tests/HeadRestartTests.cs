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
        var timeout = TimeSpan.FromSeconds(3);
        var head = await SiloHost.StartAsync(new SiloOptions { Cpus = 0, RedisAddress = _redis.Address, NodeDeadTimeout = timeout, HeartbeatInterval = TimeSpan.FromMilliseconds(200), NodeId = "head" });
        var port = int.Parse(head.Address.Split(':')[1]);
        await using var worker = await SiloHost.StartAsync(new SiloOptions { HeadAddress = head.Address, Cpus = 2, NodeId = "worker-1", HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var name = "service-" + Guid.NewGuid().ToString("N");
        await using (var creator = await GranaryClient.ConnectAsync(head.Address))
        {
            var service = await creator.CreateActorAsync(() => new Counter(40), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1 });
            Assert.Equal(41, await service.Call(c => c.Add(1)));
        }

        await head.KillAsync();
        head = await SiloHost.StartAsync(new SiloOptions { Cpus = 0, Port = port, RedisAddress = _redis.Address, NodeDeadTimeout = timeout, HeartbeatInterval = TimeSpan.FromMilliseconds(200), NodeId = "head" });
        try
        {
            await using var client = await GranaryClient.ConnectAsync(head.Address);

            // The worker reconnects on its own and is alive again, with the actor's CPU still reserved.
            var nodes = await WaitForAsync(client, n => n.Any(x => x.NodeId == "worker-1" && x.Alive && x.Available.GetValueOrDefault("CPU") == 1));
            Assert.Contains(nodes, n => n.NodeId == "worker-1");

            var found = await client.GetActorAsync<Counter>(name);
            Assert.Equal(42, await found.Call(c => c.Add(1)));

            // It is still the detached service: a new client can kill it, and then it is gone.
            await found.KillAsync();
            await Assert.ThrowsAsync<ActorNotFoundException>(() => client.GetActorAsync<Counter>(name));
        }
        finally
        {
            await head.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<NodeDescription>> WaitForAsync(GranaryClient client, Func<IReadOnlyList<NodeDescription>, bool> condition)
    {
        IReadOnlyList<NodeDescription> nodes = [];
        for (var i = 0; i < 100; i++)
        {
            nodes = await client.GetNodesAsync();
            if (condition(nodes))
            {
                return nodes;
            }

            await Task.Delay(100);
        }

        Assert.Fail("nodes never reached the expected state: " + string.Join("; ", nodes.Select(n => $"{n.NodeId} alive={n.Alive} available={string.Join(",", n.Available)}")));
        return nodes;
    }
}
