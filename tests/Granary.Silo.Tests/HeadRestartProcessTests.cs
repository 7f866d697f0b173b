using System.Text.Json;
using Granary.Grains.Tests;

namespace Granary.Silo.Tests;

/// <summary>
/// The head runs with --redis (a real redis-server on a free loopback port); its process is killed and a new
/// one started on the same address. Named detached actors and membership come back, and workers rejoin alone.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class HeadRestartProcessTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Named_detached_actors_and_membership_come_back_after_the_head_is_killed_and_restarted()
    {
        await using var cluster = new ProcessCluster();
        await cluster.StartHeadAsync("--redis", redis.Address);
        await cluster.StartWorkerAsync("w1", "--cpus", "2");
        await cluster.StartWorkerAsync("w2", "--cpus", "2");
        var name = "service-" + Guid.NewGuid().ToString("N");
        string home;
        var creator = await cluster.ConnectAsync().WithTimeout();
        await using (creator.DisposeWithin())
        {
            var service = await creator.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1 }).WithTimeout();
            home = await service.Call(a => a.Where()).WithTimeout();
        }

        await cluster.RestartHeadAsync("--redis", redis.Address);

        var client = await cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();
        IReadOnlyList<NodeDescription> nodes = [];
        await Eventually.HoldsAsync(
            async () => (nodes = await client.GetNodesAsync().WithTimeout()).Count(n => n.NodeId is "w1" or "w2" && n.Alive) == 2,
            TimeSpan.FromSeconds(10),
            "both workers are alive at the restarted head",
            () => string.Join("; ", nodes.Select(ProcessCluster.Describe)));
        Assert.Equal(1, nodes.First(n => n.NodeId == home).Available.GetValueOrDefault("CPU"));

        var found = await client.GetActorAsync<PlacedActor>(name).WithTimeout();
        Assert.Equal(home, await found.Call(a => a.Where()).WithTimeout());

        var (code, stdout, _) = await cluster.RunCliAsync("status", "--address", cluster.HeadAddress, "--json");
        Assert.Equal(0, code);
        using var status = JsonDocument.Parse(stdout);
        Assert.True(status.RootElement.GetProperty("persistent").GetBoolean());
        Assert.Contains(status.RootElement.GetProperty("actors").EnumerateArray(), a => a.GetProperty("name").GetString() == name && a.GetProperty("state").GetString() == "alive");

        await found.KillAsync().WithTimeout();
    }
}
