using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>A worker silo dies mid-workload; the head declares it dead and the owner retries its tasks elsewhere.</summary>
public sealed class NodeFailureTests
{
    private static GranarySiloOptions Worker(string head, string id) =>
        new() { HeadAddress = head, Cpus = 1, NodeId = id, HeartbeatInterval = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task Every_result_arrives_exactly_once_when_a_worker_dies_mid_workload()
    {
        var head = await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, NodeDeadTimeout = TimeSpan.FromSeconds(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) }).WithTimeout();
        var workers = new List<SiloHost>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(await SiloHost.StartAsync(Worker(head.Address, "w" + i)).WithTimeout());
        }

        try
        {
            var client = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopClient = client.DisposeWithin();
            var options = new RemoteOptions { MaxRetries = 3 };
            using var ledger = new ExecutionLedger();
            var folder = ledger.Folder;
            var refs = Enumerable.Range(0, 2000).Select(i => client.Remote(() => PlacementJobs.Recorded(i, folder), options)).ToList();
            await Eventually.HoldsAsync(() => refs.Count(r => r.IsReady) >= 200, Bounded.Default, "200 of 2000 tasks finish", () => $"{refs.Count(r => r.IsReady)} finished");

            // From now on a task that starts on w1 holds there, and w1 is killed once one does: it has work in flight.
            ledger.HoldOn("w1");
            await Eventually.HoldsAsync(() => ledger.HeldExecutions().Count > 0, Bounded.Default, "a task is running on w1");
            await workers[1].KillAsync().WithTimeout();
            var held = ledger.HeldExecutions();

            // A killed in-process silo's threads live on: let the held tasks return into the void.
            ledger.Release();
            var values = await client.GetAllAsync(refs).WithTimeout(TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(0, 2000), values.Select(v => v.Index));
            ledger.AssertEachRanOnceAndTheKilledNodesWorkWasRetried(values, "w1", held);

            await Eventually.HoldsAsync(
                async () => !(await client.GetNodesAsync().WithTimeout()).First(n => n.NodeId == "w1").Alive,
                TimeSpan.FromSeconds(5),
                "the head declares the killed w1 dead");
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync().WithTimeout();
            }

            await head.DisposeAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task Calls_to_an_actor_on_a_dead_node_fail_with_ActorDied_instead_of_hanging()
    {
        var head = await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, NodeDeadTimeout = TimeSpan.FromSeconds(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) }).WithTimeout();
        var worker = await SiloHost.StartAsync(Worker(head.Address, "doomed")).WithTimeout();
        try
        {
            var client = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopClient = client.DisposeWithin();
            var counter = await client.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = "on-doomed" }).WithTimeout();
            Assert.Equal(1, await counter.Call(c => c.Add(1)).WithTimeout());
            await worker.KillAsync().WithTimeout();

            await Assert.ThrowsAsync<ActorDiedException>(async () => await counter.Call(c => c.Add(1)).WithTimeout(TimeSpan.FromSeconds(10)));
            await Eventually.HoldsAsync(
                async () =>
                {
                    try
                    {
                        await client.GetActorAsync<Counter>("on-doomed").WithTimeout();
                        return false;
                    }
                    catch (ActorNotFoundException)
                    {
                        return true;
                    }
                },
                TimeSpan.FromSeconds(5),
                "the head forgets the actor of a dead node");
        }
        finally
        {
            await worker.DisposeAsync().WithTimeout();
            await head.DisposeAsync().WithTimeout();
        }
    }
}
