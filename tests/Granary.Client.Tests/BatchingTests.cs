using Granary.Grains;

namespace Granary.Client.Tests;

/// <summary>
/// Short tasks and short actor calls travel several to an Orleans call once the owner knows they are short
/// (and, for tasks, that the cluster is full); each still gets its own result, in order, and nothing waits
/// for good behind a batch.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchingTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Short_tasks_submitted_together_travel_in_batches_and_each_gets_its_own_result()
    {
        const int n = 3_000;

        // The owner learns that these tasks are short and that the cluster is full.
        await Client.GetAllAsync(Enumerable.Range(0, 500).Select(i => Client.Remote(() => TestJobs.Square(i))).ToList())
            .WithTimeout(TimeSpan.FromSeconds(60));
        var before = Totals();
        var refs = Enumerable.Range(0, n).Select(i => Client.Remote(() => TestJobs.Square(i))).ToList();
        var results = await Client.GetAllAsync(refs).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, n).Select(i => i * i), results);
        var since = Totals() - before;
        var (tasks, calls, batches) = (since.Tasks, since.TaskCalls, since.TaskBatches);
        Assert.Equal(n, tasks);
        Assert.True(batches > 0, $"{n} short tasks arrived in {calls} calls, none of them a batch");
        Assert.True(calls < n / 2, $"{n} short tasks arrived in {calls} calls ({batches} batches); most should share calls");
    }

    [Fact]
    public async Task Short_actor_calls_travel_in_batches_and_run_in_call_order()
    {
        const int n = 3_000;
        var counter = await Client.CreateActorAsync(() => new Counter(0)).WithTimeout();

        // Until a call has answered, the handle cannot know its calls are short, and sends each alone.
        Assert.Equal(0, await counter.Call(c => c.Value()).WithTimeout());
        var before = Totals();
        var refs = Enumerable.Range(0, n).Select(_ => counter.Call(c => c.Add(1))).ToList();
        var results = await Client.GetAllAsync(refs).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, n), results);
        var since = Totals() - before;
        var (calls, messages, batches) = (since.ActorCalls, since.ActorCallMessages, since.ActorBatches);
        Assert.Equal(n, calls);
        Assert.True(batches > 0, $"{n} short actor calls arrived in {messages} messages, none of them a batch");
        // How many share a message depends on how far the caller runs ahead of the actor, which is timing (on
        // 2 loaded cores a fresh-clone run once batched only 1,084 of 3,000): the share is the benchmark's to
        // measure; this test holds that batches happen and that calls share messages.
        Assert.True(messages < n - batches, $"{n} short actor calls arrived in {messages} messages ({batches} batches); batched calls should share messages");
        await counter.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task A_call_held_for_a_batch_still_goes_when_the_calls_ahead_wait_for_it()
    {
        var gate = await Client.CreateActorAsync(() => new Gate(), new ActorOptions { MaxConcurrency = 4 }).WithTimeout();
        for (var i = 0; i < 100; i++)
        {
            // The handle learns that this actor's calls are short: from here on it batches.
            await gate.Call(g => g.Ping()).WithTimeout();
        }

        var first = gate.Call(g => g.WaitOpen());
        var second = gate.Call(g => g.WaitOpen());

        // Two calls are out and neither answers before this one runs: it must not wait for their answers.
        var open = gate.Call(g => g.Open());
        Assert.Equal(3, await open.WithTimeout(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, await first.WithTimeout(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, await second.WithTimeout(TimeSpan.FromSeconds(20)));
        await gate.KillAsync().WithTimeout();
    }

    /// <summary>What every silo of the cluster has received so far.</summary>
    private CallTrafficFigures Totals() =>
        fixture.Cluster.Silos.Aggregate(default(CallTrafficFigures), (sum, silo) => sum + silo.Runtime.Traffic.Snapshot());
}
