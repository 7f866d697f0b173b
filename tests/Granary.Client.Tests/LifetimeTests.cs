namespace Granary.Client.Tests;

/// <summary>Actor lifetimes across clients; each test uses clients of its own on the shared cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LifetimeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_owned_actor_dies_with_the_client_that_created_it()
    {
        var name = "owned-" + Guid.NewGuid().ToString("N");
        var owner = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress);
        await owner.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = name });
        var handle = await fixture.Client.GetActorAsync<Counter>(name);
        Assert.Equal(1, await handle.Call(c => c.Add(1)));

        await owner.DisposeAsync();

        await WaitUntilAsync(async () =>
        {
            try
            {
                await fixture.Client.GetActorAsync<Counter>(name);
                return false;
            }
            catch (ActorNotFoundException)
            {
                return true;
            }
        });
        await Assert.ThrowsAsync<ActorDiedException>(async () => await handle.Call(c => c.Add(1)));
    }

    [Fact]
    public async Task A_detached_actor_outlives_its_creator_until_killed()
    {
        var name = "detached-" + Guid.NewGuid().ToString("N");
        await using (var creator = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress))
        {
            var created = await creator.CreateActorAsync(() => new Counter(100), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached });
            Assert.Equal(101, await created.Call(c => c.Add(1)));
        }

        // Give the head time to process the creator's departure, then the actor must still answer.
        await Task.Delay(300);
        var handle = await fixture.Client.GetActorAsync<Counter>(name);
        Assert.Equal(102, await handle.Call(c => c.Add(1)));

        await fixture.Client.KillAsync(handle);
        await Assert.ThrowsAsync<ActorDiedException>(async () => await handle.Call(c => c.Add(1)));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => fixture.Client.GetActorAsync<Counter>(name));
    }

    [Fact]
    public async Task A_detached_actor_keeps_its_resources_after_its_creator_leaves()
    {
        var name = "holder-" + Guid.NewGuid().ToString("N");
        await using (var creator = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress))
        {
            await creator.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Resources = { ["slot"] = 1 } });
        }

        await Task.Delay(300);
        var freeSlots = (await fixture.Client.GetNodesAsync()).Sum(n => n.Available.GetValueOrDefault("slot"));
        Assert.Equal(1, freeSlots);

        await fixture.Client.KillAsync(await fixture.Client.GetActorAsync<Counter>(name));
        freeSlots = (await fixture.Client.GetNodesAsync()).Sum(n => n.Available.GetValueOrDefault("slot"));
        Assert.Equal(2, freeSlots);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("condition not met within 5 s");
    }
}
