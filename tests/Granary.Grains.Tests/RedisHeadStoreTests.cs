using Granary.Grains.Head.Persistence;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

/// <summary>The head's tables written to and read back from a real redis-server.</summary>
public sealed class RedisHeadStoreTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Tables_written_by_one_head_are_read_back_by_the_next()
    {
        await using (var store = await RedisHeadStore.ConnectAsync(redis.Address, default))
        {
            await store.SaveClusterIdAsync("cluster-1", default);
            await store.SaveNodeAsync(new NodeInfo { NodeId = "n1", Address = "127.0.0.1:1" }, default);
            await store.SaveActorAsync(new PersistedActor { Info = new ActorInfo { ActorId = "a1", Name = "svc" } }, default);
            await store.SaveActorAsync(new PersistedActor { Info = new ActorInfo { ActorId = "a2" } }, default);
            await store.RemoveActorAsync("a2", default);
            await store.SaveJobAsync(new JobManifest { JobId = "j1", Assemblies = { new AssemblyRef { Name = "App", Hash = "h" } } }, default);
            await store.SaveBlobAsync("h", [1, 2, 3], default);
            await store.SaveGroupAsync(new PersistedGroup { Spec = new CreatePlacementGroup { GroupId = "g1" }, Info = new PlacementGroupInfo { GroupId = "g1" } }, default);
        }

        await using var next = await RedisHeadStore.ConnectAsync(redis.Address, default);
        var snapshot = await next.LoadAsync(default);
        Assert.Equal("cluster-1", snapshot.ClusterId);
        Assert.Equal("127.0.0.1:1", Assert.Single(snapshot.Nodes).Address);
        Assert.Equal("svc", Assert.Single(snapshot.Actors).Info.Name);
        Assert.Equal("App", Assert.Single(Assert.Single(snapshot.Jobs).Assemblies).Name);
        Assert.Equal(new byte[] { 1, 2, 3 }, snapshot.Blobs["h"]);
        Assert.Equal("g1", Assert.Single(snapshot.Groups).Spec.GroupId);
    }

    [Fact]
    public async Task An_unreachable_redis_names_the_address_and_the_fix()
    {
        var error = await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync("127.0.0.1:1", default));
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.Contains("--redis", error.Message);
    }
}
