namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class NamedActorTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_named_actor_can_be_looked_up()
    {
        var name = "lookup-" + Guid.NewGuid().ToString("N");
        var created = await Client.CreateActorAsync(() => new Counter(1), new ActorOptions { Name = name }).WithTimeout();
        var found = await Client.GetActorAsync<Counter>(name).WithTimeout();
        Assert.Equal(created.Id, found.Id);
        Assert.Equal(name, found.Name);
        Assert.Equal(2, await found.Call(c => c.Add(1)).WithTimeout());
    }

    [Fact]
    public async Task Creating_an_existing_name_fails_and_names_the_way_to_share_it()
    {
        var name = "taken-" + Guid.NewGuid().ToString("N");
        await Client.CreateActorAsync(() => new Counter(1), new ActorOptions { Name = name }).WithTimeout();
        var error = await Assert.ThrowsAnyAsync<GranaryException>(() => Client.CreateActorAsync(() => new Counter(2), new ActorOptions { Name = name })).WithTimeout();
        Assert.Contains("GetOrCreateActorAsync", error.Message);
    }

    [Fact]
    public async Task Get_or_create_keeps_the_placement_it_was_given()
    {
        // One server per node (the Spark + Triton pattern) relies on this: each name pinned to its own node.
        var workers = (await Client.GetNodesAsync().WithTimeout()).Where(n => !n.IsHead).Select(n => n.NodeId).ToList();
        Assert.Equal(2, workers.Count);
        foreach (var node in workers)
        {
            var pinned = await Client.GetOrCreateActorAsync("pinned-" + Guid.NewGuid().ToString("N"), () => new Counter(0),
                new ActorOptions { Placement = new NodeAffinityPlacement(node) }).WithTimeout();
            Assert.Equal(node, pinned.NodeId);
            await pinned.KillAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task Looking_up_a_missing_name_throws_ActorNotFound()
    {
        var error = await Assert.ThrowsAsync<ActorNotFoundException>(() => Client.GetActorAsync<Counter>("nobody-" + Guid.NewGuid().ToString("N"))).WithTimeout();
        Assert.StartsWith("nobody-", error.Name);
    }

    [Fact]
    public async Task Two_clients_racing_to_create_a_name_share_one_activation()
    {
        var other = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        await using var stopOther = other.DisposeWithin();
        for (var round = 0; round < 5; round++)
        {
            var name = $"race-{round}-" + Guid.NewGuid().ToString("N");
            var options = new ActorOptions { Lifetime = ActorLifetime.Detached };
            var first = Client.GetOrCreateActorAsync(name, () => new Counter(0), options);
            var second = other.GetOrCreateActorAsync(name, () => new Counter(0), options);
            var handles = await Task.WhenAll(first, second).WithTimeout();
            Assert.Equal(handles[0].Id, handles[1].Id);
            Assert.Equal(await handles[0].Call(c => c.Instance()).WithTimeout(), await handles[1].Call(c => c.Instance()).WithTimeout());
            await handles[0].Call(c => c.Add(1)).WithTimeout();
            Assert.Equal(2, await handles[1].Call(c => c.Add(1)).WithTimeout());
            await handles[0].KillAsync().WithTimeout();
        }
    }
}
