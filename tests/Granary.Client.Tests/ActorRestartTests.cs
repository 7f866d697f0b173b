namespace Granary.Client.Tests;

/// <summary>
/// Actor restarts (Ray's max_restarts, max_task_retries). Each test kills worker silos, so each starts its own
/// cluster. A node is killed only once the actor is known to live there, or once a call is known to be running
/// there (<see cref="Phoenix.Hold"/>); a call meant for the restarted actor is made once the client has heard
/// of the death, so it cannot be one that was in flight.
/// </summary>
public sealed class ActorRestartTests
{
    private static readonly TimeSpan Restarted = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_restarted_actor_runs_its_constructor_again_on_another_node_and_an_old_handle_reaches_it()
    {
        await using var run = await RestartCluster.StartAsync(workers: 2);
        var phoenix = await run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { Cpus = 1, MaxRestarts = 1 }).WithTimeout();
        Assert.Equal(5, await phoenix.Call(p => p.Add(5)).WithTimeout());
        var first = await phoenix.Call(p => p.Node()).WithTimeout();
        Assert.Equal([first], Phoenix.Constructions(run.Folder));

        await run.KillAsync(first);

        // The handle made before the death: its calls reach the new instance, whose state starts afresh.
        Assert.Equal(1, await phoenix.Call(p => p.Add(1)).WithTimeout());
        var second = await phoenix.Call(p => p.Node()).WithTimeout();
        Assert.NotEqual(first, second);
        Assert.Equal(second, phoenix.NodeId);
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), Phoenix.Constructions(run.Folder).Order(StringComparer.Ordinal));
        var listed = (await run.Client.Head.ListActors().WithTimeout()).Actors.Single(a => a.ActorId == phoenix.Id);
        Assert.Equal(1, listed.NumRestarts);
    }

    [Fact]
    public async Task With_MaxTaskRetries_calls_in_flight_when_the_node_dies_run_again_on_the_restarted_actor_in_order()
    {
        await using var run = await RestartCluster.StartAsync(workers: 2);
        var phoenix = await run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { Cpus = 1, MaxRestarts = 1, MaxTaskRetries = 1 }).WithTimeout();
        var first = await phoenix.Call(p => p.Node()).WithTimeout();
        Phoenix.HoldOn(run.Folder, first);

        var held = phoenix.Call(p => p.Hold(1));
        var queued = new[] { phoenix.Call(p => p.Add(2)), phoenix.Call(p => p.Add(3)) };
        await Eventually.HoldsAsync(() => Phoenix.IsHeld(run.Folder, first), Bounded.Default, "the first call runs on the actor's node");
        await run.KillAsync(first);
        Phoenix.Release(run.Folder);

        var second = await held.WithTimeout();
        Assert.NotEqual(first, second);
        var sums = await run.Client.GetAllAsync(queued).WithTimeout();
        Assert.Equal(new[] { 3, 6 }, sums);
        var seen = await phoenix.Call(p => p.Seen()).WithTimeout();
        Assert.Equal(new[] { 1, 2, 3 }, seen);
        Assert.Equal(2, Phoenix.Constructions(run.Folder).Count);
    }

    [Fact]
    public async Task Without_MaxTaskRetries_a_call_in_flight_fails_with_ActorDied_and_later_calls_reach_the_restarted_actor()
    {
        await using var run = await RestartCluster.StartAsync(workers: 2);
        var phoenix = await run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { Cpus = 1, MaxRestarts = 1 }).WithTimeout();
        var first = await phoenix.Call(p => p.Node()).WithTimeout();
        Phoenix.HoldOn(run.Folder, first);

        var held = phoenix.Call(p => p.Hold(1));
        await Eventually.HoldsAsync(() => Phoenix.IsHeld(run.Folder, first), Bounded.Default, "the call runs on the actor's node");
        await run.KillAsync(first);
        Phoenix.Release(run.Folder);

        var error = await Assert.ThrowsAsync<ActorDiedException>(async () => await held.WithTimeout());
        Assert.Contains("MaxTaskRetries", error.Message);
        Assert.Equal(4, await phoenix.Call(p => p.Add(4)).WithTimeout());
        var seen = await phoenix.Call(p => p.Seen()).WithTimeout();
        Assert.Equal(new[] { 4 }, seen);
    }

    [Fact]
    public async Task Once_its_restarts_are_spent_the_actor_is_dead_and_calls_fail_naming_the_reason()
    {
        await using var run = await RestartCluster.StartAsync(workers: 3);
        var phoenix = await run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { Name = "phoenix-" + Guid.NewGuid().ToString("N"), Cpus = 1, MaxRestarts = 1 }).WithTimeout();
        var first = await phoenix.Call(p => p.Node()).WithTimeout();
        await run.KillAsync(first);
        var second = await phoenix.Call(p => p.Node()).WithTimeout();
        Assert.NotEqual(first, second);

        await run.KillAsync(second);

        var error = await Assert.ThrowsAsync<ActorDiedException>(async () => await phoenix.Call(p => p.Add(1)).WithTimeout());
        Assert.Contains($"its node {second} died", error.Message);
        Assert.Contains("restarted 1 time(s), its MaxRestarts", error.Message);
        Assert.Equal(phoenix.Id, error.ActorId);
        await Assert.ThrowsAsync<ActorNotFoundException>(() => run.Client.GetActorAsync<Phoenix>(phoenix.Name!)).WithTimeout();
        Assert.Equal(2, Phoenix.Constructions(run.Folder).Count);
    }

    [Fact]
    public async Task A_detached_actor_with_restarts_survives_the_loss_of_its_node_and_is_found_by_name()
    {
        await using var run = await RestartCluster.StartAsync(workers: 2);
        var name = "detached-phoenix-" + Guid.NewGuid().ToString("N");
        string first;
        var creator = await GranaryClient.ConnectAsync(run.Cluster.HeadAddress).WithTimeout();
        await using (creator.DisposeWithin())
        {
            var created = await creator.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { Name = name, Lifetime = ActorLifetime.Detached, Cpus = 1, MaxRestarts = -1 }).WithTimeout();
            first = await created.Call(p => p.Node()).WithTimeout();
        }

        await run.KillAsync(first);

        // Found by name while it restarts or after: the handle waits for the new instance.
        var found = await run.Client.GetActorAsync<Phoenix>(name).WithTimeout();
        Assert.Equal(7, await found.Call(p => p.Add(7)).WithTimeout());
        var second = await found.Call(p => p.Node()).WithTimeout();
        Assert.NotEqual(first, second);
        Assert.Equal(2, Phoenix.Constructions(run.Folder).Count);
        await run.Client.KillAsync(found).WithTimeout();
    }

    [Fact]
    public async Task Restart_options_outside_their_range_fail_naming_the_fix()
    {
        await using var run = await RestartCluster.StartAsync(workers: 1);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { MaxRestarts = -2 })).WithTimeout();
        Assert.Contains("-1 (restart without limit)", error.Message);
        var retries = await Assert.ThrowsAsync<ArgumentException>(() => run.Client.CreateActorAsync(() => new Phoenix(run.Folder), new ActorOptions { MaxTaskRetries = 2 })).WithTimeout();
        Assert.Contains("set MaxRestarts too", retries.Message);
    }
}
