namespace Granary.Client.Tests;

/// <summary>Actor handles as values: passed to tasks and actors, inside values, and returned by tasks, each calling the same actor.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorHandleValueTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_handle_passed_to_a_task_calls_the_same_actor()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(100)).WithTimeout();
        Assert.Equal(105, await Client.Remote(() => HandleJobs.AddThrough(counter, 5)).WithTimeout());

        // The state the task changed is the driver's actor's state.
        Assert.Equal(106, await counter.Call(c => c.Add(1)).WithTimeout());
        await counter.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task A_handle_passed_to_another_actor_calls_the_same_actor()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        var relay = await Client.CreateActorAsync(() => new Relay()).WithTimeout();
        Assert.Equal(7, await relay.Call(r => r.Forward(counter, 7)).WithTimeout());
        Assert.Equal(10, await relay.Call(r => r.Forward(counter, 3)).WithTimeout());
        Assert.Equal(10, await counter.Call(c => c.Value()).WithTimeout());
        await relay.KillAsync().WithTimeout();
        await counter.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task Handles_inside_a_record_and_a_list_call_the_same_actor()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        var box = new CounterBox("hits", counter);
        Assert.Equal("hits=2", await Client.Remote(() => HandleJobs.AddThroughBox(box, 2)).WithTimeout());

        // The same actor twice in one list: both entries reach it, 2 + 5 + 5.
        var list = new List<ActorHandle<Counter>> { counter, counter };
        Assert.Equal(12, await Client.Remote(() => HandleJobs.AddThroughEach(list, 5)).WithTimeout());

        // And inside a put object, read by the task from the ref.
        var stored = Client.Put(box);
        Assert.Equal("hits=13", await Client.Remote(() => HandleJobs.AddThroughBox(stored, 1)).WithTimeout());
        Assert.Equal(13, await counter.Call(c => c.Value()).WithTimeout());
        await counter.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task Calls_through_a_received_handle_keep_their_order()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(0)).WithTimeout();
        var seen = await Client.Remote(() => HandleJobs.AddOneEach(counter, 50)).WithTimeout();
        Assert.Equal(Enumerable.Range(1, 50), seen);
        await counter.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task A_handle_a_task_returns_works_on_the_driver()
    {
        var counter = await Client.Remote(() => HandleJobs.CreateCounter(40)).WithTimeout();
        Assert.Equal(42, await counter.Call(c => c.Add(2)).WithTimeout());

        // Passed back into the cluster, it is still the same actor.
        Assert.Equal(45, await Client.Remote(() => HandleJobs.AddThrough(counter, 3)).WithTimeout());
        await counter.KillAsync().WithTimeout();
    }
}
