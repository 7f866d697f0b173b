namespace Granary.Client.Tests;

/// <summary>Work submitted from inside the cluster: tasks and actor calls that submit tasks, put, get and create actors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NestedTaskTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_task_submits_tasks_and_returns_their_sum()
    {
        // 1 + 4 + ... + 100: ten children, each on a lease of its own beside the parent's.
        Assert.Equal(385, await Client.Remote(() => NestedJobs.SumOfSquares(10)).WithTimeout());
    }

    [Fact]
    public async Task An_actor_method_submits_a_task()
    {
        var actor = await Client.CreateActorAsync(() => new Delegator()).WithTimeout();
        Assert.Equal(49, await actor.Call(d => d.SquareRemotely(7)).WithTimeout());
        Assert.Equal(64, await actor.Call(d => d.SquareRemotely(8)).WithTimeout());
        await actor.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task A_task_puts_passes_and_gets_from_inside()
    {
        // Small (inline) and large (stored on the node, pulled by the child) values.
        Assert.Equal(10, await Client.Remote(() => NestedJobs.PutThenGet(10)).WithTimeout());
        Assert.Equal(200_000, await Client.Remote(() => NestedJobs.PutThenGet(200_000)).WithTimeout());
    }

    [Fact]
    public async Task A_nested_failure_reaches_the_driver_with_its_type_and_cause()
    {
        // Escaping as it came: the child's own type, naming the child task.
        var escaped = await Assert.ThrowsAsync<InvalidOperationException>(() => Client.Remote(() => NestedJobs.AwaitFailingChild("deep")).WithTimeout());
        Assert.Equal("deep", escaped.Message);
        var origin = Assert.IsType<RemoteTaskException>(escaped.InnerException);
        Assert.Contains(nameof(NestedJobs.Fail), origin.TaskName, StringComparison.Ordinal);

        // Wrapped by the parent: the parent's type, with the child's failure as its cause.
        var wrapped = await Assert.ThrowsAsync<ArgumentException>(() => Client.Remote(() => NestedJobs.WrapFailingChild("deeper")).WithTimeout());
        Assert.StartsWith("the child failed", wrapped.Message, StringComparison.Ordinal);
        Assert.Contains("deeper", Flatten(wrapped), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refs_a_task_submitted_are_returned_to_the_driver_and_read_there()
    {
        // 50 000 ints: over the inline threshold, so both results stay in the stores of the nodes that ran them.
        var refs = await Client.Remote(() => NestedJobs.SubmitAndReturn(50_000)).WithTimeout();
        Assert.Equal(2, refs.Count);
        foreach (var reference in refs)
        {
            var values = await reference.WithTimeout();
            Assert.Equal(50_000, values.Length);
            Assert.Equal(49_999, values[^1]);
        }

        // Handed over: the driver owns them now, so a task of its own can still read them after the parent is gone.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(Enumerable.Range(0, 50_000).Sum(v => (long)v), await Client.Remote(() => NestedJobs.Total(refs[1])).WithTimeout());
    }

    [Fact]
    public async Task A_task_in_a_worker_process_submits_work()
    {
        var isolated = new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 0 };
        var where = await Client.Remote(() => NestedJobs.Where(), isolated).WithTimeout(TimeSpan.FromSeconds(60));
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The parent ran in a worker process; its child, an ordinary task, in a silo (this process).
        Assert.NotEqual(self, where[0]);
        Assert.Equal(self, where[1]);
        Assert.Equal(bool.TrueString, where[2]);

        // Put, pass and get from a worker process too, with a value large enough to go to the silo's store.
        Assert.Equal(200_000, await Client.Remote(() => NestedJobs.PutThenGet(200_000), isolated).WithTimeout(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_task_creates_an_actor_and_calls_it()
    {
        Assert.Equal(16, await Client.Remote(() => NestedJobs.CountWithActor(10)).WithTimeout());
    }

    private static string Flatten(Exception ex)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            text.Append(e.Message).Append(" | ");
            if (e is RemoteTaskException remote)
            {
                text.Append(remote.RemoteMessage).Append(" | ");
            }
        }

        return text.ToString();
    }
}
