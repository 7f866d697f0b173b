namespace Granary.Client.Tests;

/// <summary>
/// Ray's namespaces on an embedded cluster: a name is unique within a namespace, a job finds and kills only
/// its own namespace's actors, in-cluster clients take their job's namespace, and jobs that name none share
/// the default one.
/// </summary>
public sealed class NamespaceTests : IAsyncLifetime
{
    private LocalCluster _cluster = null!;
    private GranaryClient _default = null!;

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartSilosAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 4 }).WithTimeout();
        _default = await Connect(GranaryDefaults.Namespace);
    }

    public async Task DisposeAsync()
    {
        await _default.DisposeAsync().WithTimeout();
        await _cluster.DisposeAsync().AsTask().WithTimeout();
    }

    private Task<GranaryClient> Connect(string ns) =>
        GranaryClient.ConnectAsync(_cluster.Silos[0].Address, new ClientOptions { Namespace = ns }).WithTimeout();

    [Fact]
    public async Task The_same_name_in_two_namespaces_is_two_actors_and_each_job_sees_only_its_own()
    {
        await using var red = await Connect("red");
        await using var blue = await Connect("blue");
        var inRed = await red.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = "counter", Lifetime = ActorLifetime.Detached }).WithTimeout();
        var inBlue = await blue.CreateActorAsync(() => new Counter(100), new ActorOptions { Name = "counter", Lifetime = ActorLifetime.Detached }).WithTimeout();
        Assert.NotEqual(inRed.Id, inBlue.Id);

        Assert.Equal(1, await (await red.GetActorAsync<Counter>("counter").WithTimeout()).Call(c => c.Add(1)).WithTimeout());
        Assert.Equal(101, await (await blue.GetActorAsync<Counter>("counter").WithTimeout()).Call(c => c.Add(1)).WithTimeout());
        await Assert.ThrowsAsync<ActorNotFoundException>(() => _default.GetActorAsync<Counter>("counter").WithTimeout());

        // A job of another namespace cannot kill it, even holding its handle; its own namespace can.
        var refused = await Assert.ThrowsAsync<GranaryException>(() => blue.KillAsync(inRed).WithTimeout());
        Assert.Contains("namespace 'red'", refused.Message);
        Assert.Contains("namespace 'blue'", refused.Message);
        Assert.Equal(2, await inRed.Call(c => c.Add(1)).WithTimeout());

        await red.KillAsync(inRed).WithTimeout();
        await blue.KillAsync(inBlue).WithTimeout();
    }

    [Fact]
    public async Task In_cluster_clients_take_their_jobs_namespace_and_jobs_naming_none_share_the_default()
    {
        await using var green = await Connect("green");
        var greens = await green.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = "shared", Lifetime = ActorLifetime.Detached }).WithTimeout();
        var defaults = await _default.CreateActorAsync(() => new Counter(50), new ActorOptions { Name = "shared", Lifetime = ActorLifetime.Detached }).WithTimeout();

        // A task of the green job finds the green actor; one of a default job the default one.
        Assert.Equal(5, await green.Remote(() => NamespaceJobs.AddThroughName("shared", 5)).WithTimeout());
        Assert.Equal(55, await _default.Remote(() => NamespaceJobs.AddThroughName("shared", 5)).WithTimeout());

        // An actor a green task creates is green.
        await green.Remote(() => NamespaceJobs.CreateNamed("made-inside")).WithTimeout();
        Assert.Equal(1001, await (await green.GetActorAsync<Counter>("made-inside").WithTimeout()).Call(c => c.Add(1)).WithTimeout());
        await Assert.ThrowsAsync<ActorNotFoundException>(() => _default.GetActorAsync<Counter>("made-inside").WithTimeout());

        // Another job of the default namespace shares its names.
        await using var another = await Connect(GranaryDefaults.Namespace);
        Assert.Equal(56, await (await another.GetActorAsync<Counter>("shared").WithTimeout()).Call(c => c.Add(1)).WithTimeout());

        await green.KillAsync(greens).WithTimeout();
        await _default.KillAsync(defaults).WithTimeout();
        await green.KillAsync(await green.GetActorAsync<Counter>("made-inside").WithTimeout()).WithTimeout();
    }

    [Fact]
    public async Task A_job_of_any_namespace_may_kill_an_id_whose_creation_the_head_has_not_recorded_yet()
    {
        // MapBatches kills by id the replicas whose creation it cancelled, which the head may not know yet.
        await using var red = await Connect("red");
        await red.Head.KillActor("a-not-recorded-yet", "red", red.JobId).WithTimeout();
    }

    [Fact]
    public async Task A_bad_namespace_is_refused_naming_the_rule()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => GranaryClient.ConnectAsync(_cluster.Silos[0].Address, new ClientOptions { Namespace = "a/b" }));
        Assert.Contains("letters, digits", error.Message);
    }
}
