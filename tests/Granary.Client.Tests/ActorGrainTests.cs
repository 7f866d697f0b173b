using Granary.Runtime.Grains;
using Orleans;
using Orleans.Runtime;

namespace Granary.Client.Tests;

/// <summary>Actors are Orleans grains: keyed by name when named, on their leased node, never brought back by a stale call.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorGrainTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    private IManagementGrain Management => Client.ClusterClient.GetGrain<IManagementGrain>(0);

    [Fact]
    public async Task A_named_actor_is_one_Orleans_activation_keyed_by_its_name_on_its_node()
    {
        var name = "grain-" + Guid.NewGuid().ToString("N");
        var actor = await Client.CreateActorAsync(() => new Counter(1), new ActorOptions { Name = name }).WithTimeout();
        Assert.Equal(2, await actor.Call(c => c.Add(1)).WithTimeout());

        var grain = (GrainReference)Client.ClusterClient.GetGrain<IActorGrain>("name/" + name);
        Assert.Equal(1, await Management.GetGrainActivationCount(grain).WithTimeout());
        var silo = await Management.GetActivationAddress(grain).AsTask().WithTimeout();
        var hosts = await Management.GetDetailedHosts(onlyActive: true).WithTimeout();
        Assert.Equal(actor.NodeId, hosts.Single(h => h.SiloAddress.Equals(silo)).SiloName);
    }

    [Fact]
    public async Task A_name_taken_again_after_a_kill_is_a_new_actor_and_the_old_handle_sees_its_actor_dead()
    {
        var name = "reused-" + Guid.NewGuid().ToString("N");
        var first = await Client.CreateActorAsync(() => new Counter(1), new ActorOptions { Name = name }).WithTimeout();
        Assert.Equal(2, await first.Call(c => c.Add(1)).WithTimeout());
        await first.KillAsync().WithTimeout();

        var second = await Client.CreateActorAsync(() => new Counter(100), new ActorOptions { Name = name }).WithTimeout();
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(101, await second.Call(c => c.Add(1)).WithTimeout());
        await Assert.ThrowsAsync<ActorDiedException>(() => first.Call(c => c.Add(1)).GetAsync().AsTask()).WithTimeout();
        Assert.Equal(102, await second.Call(c => c.Add(1)).WithTimeout());
    }

    [Fact]
    public async Task A_call_to_a_killed_actor_fails_and_leaves_no_activation_behind()
    {
        var actor = await Client.CreateActorAsync(() => new Counter(1)).WithTimeout();
        Assert.Equal(2, await actor.Call(c => c.Add(1)).WithTimeout());
        var grain = (GrainReference)Client.ClusterClient.GetGrain<IActorGrain>(actor.Id);
        await actor.KillAsync().WithTimeout();

        await Assert.ThrowsAsync<ActorDiedException>(() => actor.Call(c => c.Add(1)).GetAsync().AsTask()).WithTimeout();
        await Eventually.HoldsAsync(
            async () => await Management.GetGrainActivationCount(grain).WithTimeout() == 0,
            TimeSpan.FromSeconds(10),
            "the killed actor's grain (and any activation the late call made) deactivated");
        await Assert.ThrowsAsync<ActorDiedException>(() => actor.Call(c => c.Add(1)).GetAsync().AsTask()).WithTimeout();
    }
}
