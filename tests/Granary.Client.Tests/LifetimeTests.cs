namespace Granary.Client.Tests;

/// <summary>Actor lifetimes across clients; each test uses clients of its own on the shared cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LifetimeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_owned_actor_dies_with_the_client_that_created_it()
    {
        var name = "owned-" + Guid.NewGuid().ToString("N");
        var owner = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        await owner.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = name }).WithTimeout();
        var handle = await fixture.Client.GetActorAsync<Counter>(name).WithTimeout();
        Assert.Equal(1, await handle.Call(c => c.Add(1)).WithTimeout());

        await owner.DisposeAsync().WithTimeout();

        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    await fixture.Client.GetActorAsync<Counter>(name).WithTimeout();
                    return false;
                }
                catch (ActorNotFoundException)
                {
                    return true;
                }
            },
            TimeSpan.FromSeconds(5),
            "the head forgets an owned actor once its creator's job ends");
        await Assert.ThrowsAsync<ActorDiedException>(async () => await handle.Call(c => c.Add(1)).WithTimeout());
    }

    [Fact]
    public async Task A_detached_actor_outlives_its_creator_until_killed()
    {
        var name = "detached-" + Guid.NewGuid().ToString("N");
        var creator = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        await using (creator.DisposeWithin())
        {
            var created = await creator.CreateActorAsync(() => new Counter(100), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached }).WithTimeout();
            Assert.Equal(101, await created.Call(c => c.Add(1)).WithTimeout());
        }

        // Give the head time to process the creator's departure, then the actor must still answer.
        await Task.Delay(300);
        var handle = await fixture.Client.GetActorAsync<Counter>(name).WithTimeout();
        Assert.Equal(102, await handle.Call(c => c.Add(1)).WithTimeout());

        await fixture.Client.KillAsync(handle).WithTimeout();
        await Assert.ThrowsAsync<ActorDiedException>(async () => await handle.Call(c => c.Add(1)).WithTimeout());
        await Assert.ThrowsAsync<ActorNotFoundException>(() => fixture.Client.GetActorAsync<Counter>(name)).WithTimeout();
    }

    [Fact]
    public async Task A_detached_actor_keeps_its_resources_after_its_creator_leaves()
    {
        var name = "holder-" + Guid.NewGuid().ToString("N");
        var creator = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        await using (creator.DisposeWithin())
        {
            await creator.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Resources = { ["slot"] = 1 } }).WithTimeout();
        }

        await Task.Delay(300);
        var freeSlots = (await fixture.Client.GetNodesAsync().WithTimeout()).Sum(n => n.Available.GetValueOrDefault("slot"));
        Assert.Equal(1, freeSlots);

        await fixture.Client.KillAsync(await fixture.Client.GetActorAsync<Counter>(name).WithTimeout()).WithTimeout();
        freeSlots = (await fixture.Client.GetNodesAsync().WithTimeout()).Sum(n => n.Available.GetValueOrDefault("slot"));
        Assert.Equal(2, freeSlots);
    }
}
