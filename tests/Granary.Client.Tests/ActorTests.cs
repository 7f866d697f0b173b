namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ActorTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task An_actor_keeps_state_between_calls()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(10)).WithTimeout();
        _ = counter.Call(c => c.Add(5));
        Assert.Equal(20, await counter.Call(c => c.Add(5)).WithTimeout());
        Assert.Equal(21, await counter.Call(c => c.AddLater(1)).WithTimeout());
        Assert.Equal(21, await counter.Call(c => c.Value()).WithTimeout());
        Assert.Contains(await counter.Call(c => c.Node()).WithTimeout(), fixture.Cluster.Silos.Select(s => s.NodeId));
    }

    [Fact]
    public async Task Calls_from_one_caller_run_in_submission_order()
    {
        var recorder = await Client.CreateActorAsync(() => new Recorder()).WithTimeout();
        var slow = Client.Remote(() => TestJobs.SquareLater(2));
        var refs = new List<ObjectRef>();
        for (var i = 0; i < 200; i++)
        {
            // Call 50 waits for a ref; the calls after it must still run after it.
            refs.Add(i == 50 ? recorder.Call(r => r.Record(slow)) : recorder.Call(r => r.Record(i)));
        }

        foreach (var reference in refs)
        {
            await reference.WithTimeout();
        }

        var seen = await recorder.Call(r => r.Seen()).WithTimeout();
        var expected = Enumerable.Range(0, 200).Select(i => i == 50 ? 4 : i).ToList();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task By_default_calls_run_one_at_a_time()
    {
        var overlap = await Client.CreateActorAsync(() => new Overlap()).WithTimeout();
        var calls = Enumerable.Range(0, 6).Select(_ => overlap.Call(o => o.Work(20))).ToList();
        await Client.GetAllAsync(calls).WithTimeout();
        Assert.Equal(1, await overlap.Call(o => o.Peak()).WithTimeout());
    }

    [Fact]
    public async Task MaxConcurrency_lets_async_calls_interleave()
    {
        var overlap = await Client.CreateActorAsync(() => new Overlap(), new ActorOptions { MaxConcurrency = 4 }).WithTimeout();
        // Each call runs until four have run at once, so the peak is reached by the calls, not by a delay's length.
        var calls = Enumerable.Range(0, 8).Select(_ => overlap.Call(o => o.WorkTogether(4))).ToList();
        await Client.GetAllAsync(calls).WithTimeout();
        var peak = await overlap.Call(o => o.Peak()).WithTimeout();
        Assert.InRange(peak, 2, 4);
        Assert.Equal(4, peak);
    }

    [Fact]
    public async Task MaxConcurrency_runs_blocking_calls_at_once_on_threads()
    {
        // Ray's threaded actors: three calls that block until three run together all see three.
        var overlap = await Client.CreateActorAsync(() => new Overlap(), new ActorOptions { MaxConcurrency = 3 }).WithTimeout();
        var calls = Enumerable.Range(0, 3).Select(_ => overlap.Call(o => o.BlockTogether(3, 20_000))).ToList();
        var peaks = await Client.GetAllAsync(calls).WithTimeout();
        Assert.Equal(new[] { 3, 3, 3 }, peaks);
    }

    [Fact]
    public async Task Without_MaxConcurrency_blocking_calls_run_one_at_a_time()
    {
        var overlap = await Client.CreateActorAsync(() => new Overlap()).WithTimeout();
        var calls = Enumerable.Range(0, 2).Select(_ => overlap.Call(o => o.BlockTogether(2, 1_000))).ToList();

        // Each gives up waiting for a partner after its bound: one ran at a time.
        var peaks = await Client.GetAllAsync(calls).WithTimeout();
        Assert.Equal(new[] { 1, 1 }, peaks);
    }

    [Fact]
    public async Task Constructor_arguments_can_be_refs()
    {
        var start = Client.Remote(() => TestJobs.Square(3));
        var counter = await Client.CreateActorAsync(() => new Counter(start)).WithTimeout();
        Assert.Equal(10, await counter.Call(c => c.Add(1)).WithTimeout());
    }

    [Fact]
    public async Task Actor_method_exceptions_surface_typed_and_the_actor_lives_on()
    {
        var faulty = await Client.CreateActorAsync(() => new Faulty(false)).WithTimeout();
        var error = (await Assert.ThrowsAsync<NotSupportedException>(async () => await faulty.Call(f => f.Boom()).WithTimeout())).Remote();
        Assert.Equal(typeof(NotSupportedException).FullName, error.RemoteType);
        Assert.Equal(1, await faulty.Call(f => f.Ok()).WithTimeout());
    }

    [Fact]
    public async Task A_throwing_constructor_fails_creation()
    {
        var error = (await Assert.ThrowsAsync<ArgumentException>(() => Client.CreateActorAsync(() => new Faulty(true))).WithTimeout()).Remote();
        Assert.Equal(typeof(ArgumentException).FullName, error.RemoteType);
        Assert.Contains("constructor refused", error.Message);
    }

    [Fact]
    public async Task An_actor_whose_creation_is_cancelled_while_its_constructor_runs_does_not_live_on()
    {
        // MapBatches cancels the creations of replicas it no longer needs; none may stay behind, unknown to the head.
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "granary-slowstart-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var creating = Client.CreateActorAsync(() => new SlowStart(folder), cancellationToken: cancel.Token);
            await Eventually.HoldsAsync(() => Directory.GetFiles(folder, "started.*").Length == 1, Bounded.Default, "the constructor runs");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => creating.WithTimeout());

            File.WriteAllText(Path.Combine(folder, "release"), string.Empty);
            await Eventually.HoldsAsync(() => File.Exists(Path.Combine(folder, "disposed")), Bounded.Default, "the actor whose creation was cancelled died");
            var id = Path.GetFileName(Directory.GetFiles(folder, "started.*").Single())["started.".Length..];
            Assert.DoesNotContain((await Client.Head.ListActors().WithTimeout()).Actors, a => a.ActorId == id && a.State != Runtime.Wire.ActorState.Dead);
        }
        finally
        {
            File.WriteAllText(Path.Combine(folder, "release"), string.Empty);
        }
    }

    [Fact]
    public async Task An_actor_killed_while_its_constructor_runs_dies_once_it_has_started()
    {
        // Its id is known before the head has recorded it (MapBatches picks its replicas' ids): the kill must not be lost.
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "granary-slowstart-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        try
        {
            var creating = Client.CreateActorAsync(() => new SlowStart(folder));
            await Eventually.HoldsAsync(() => Directory.GetFiles(folder, "started.*").Length == 1, Bounded.Default, "the constructor runs");
            var id = Path.GetFileName(Directory.GetFiles(folder, "started.*").Single())["started.".Length..];
            await Client.Head.KillActor(id, GranaryDefaults.Namespace, Client.JobId).WithTimeout();

            File.WriteAllText(Path.Combine(folder, "release"), string.Empty);
            await Assert.ThrowsAsync<ActorDiedException>(() => creating.WithTimeout());
            await Eventually.HoldsAsync(() => File.Exists(Path.Combine(folder, "disposed")), Bounded.Default, "the actor killed while it started died");
            Assert.DoesNotContain((await Client.Head.ListActors().WithTimeout()).Actors, a => a.ActorId == id && a.State != Runtime.Wire.ActorState.Dead);
        }
        finally
        {
            File.WriteAllText(Path.Combine(folder, "release"), string.Empty);
        }
    }

    [Fact]
    public async Task A_killed_actor_fails_later_calls_with_ActorDied()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        Assert.Equal(1, await counter.Call(c => c.Add(1)).WithTimeout());
        await counter.KillAsync().WithTimeout();
        await Assert.ThrowsAsync<ActorDiedException>(async () => await counter.Call(c => c.Add(1)).WithTimeout());
    }
}
