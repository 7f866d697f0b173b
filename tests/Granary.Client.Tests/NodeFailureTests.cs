using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>A worker silo dies mid-workload; the head declares it dead and the owner retries its tasks elsewhere.</summary>
public sealed class NodeFailureTests
{
    private static SiloOptions Worker(string head, string id) =>
        new() { HeadAddress = head, Cpus = 1, NodeId = id, HeartbeatInterval = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task Every_result_arrives_exactly_once_when_a_worker_dies_mid_workload()
    {
        var head = await SiloHost.StartAsync(new SiloOptions { Cpus = 0, NodeDeadTimeout = TimeSpan.FromSeconds(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var workers = new List<SiloHost>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(await SiloHost.StartAsync(Worker(head.Address, "w" + i)));
        }

        try
        {
            await using var client = await GranaryClient.ConnectAsync(head.Address);
            var options = new RemoteOptions { MaxRetries = 3 };
            var refs = Enumerable.Range(0, 2000).Select(i => client.Remote(() => PlacementJobs.Identity(i), options)).ToList();
            while (refs.Count(r => r.IsReady) < 200)
            {
                await Task.Delay(5);
            }

            await workers[1].KillAsync();
            var values = await client.GetAllAsync(refs).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(0, 2000), values);

            var nodes = await client.GetNodesAsync();
            for (var i = 0; i < 50 && nodes.First(n => n.NodeId == "w1").Alive; i++)
            {
                await Task.Delay(100);
                nodes = await client.GetNodesAsync();
            }

            Assert.False(nodes.First(n => n.NodeId == "w1").Alive);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            await head.DisposeAsync();
        }
    }

    [Fact]
    public async Task Calls_to_an_actor_on_a_dead_node_fail_with_ActorDied_instead_of_hanging()
    {
        var head = await SiloHost.StartAsync(new SiloOptions { Cpus = 0, NodeDeadTimeout = TimeSpan.FromSeconds(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var worker = await SiloHost.StartAsync(Worker(head.Address, "doomed"));
        try
        {
            await using var client = await GranaryClient.ConnectAsync(head.Address);
            var counter = await client.CreateActorAsync(() => new Counter(0), new ActorOptions { Name = "on-doomed" });
            Assert.Equal(1, await counter.Call(c => c.Add(1)));
            await worker.KillAsync();

            await Assert.ThrowsAsync<ActorDiedException>(async () => await counter.Call(c => c.Add(1)).GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            for (var i = 0; i < 50; i++)
            {
                try
                {
                    await client.GetActorAsync<Counter>("on-doomed");
                    await Task.Delay(100);
                }
                catch (ActorNotFoundException)
                {
                    return;
                }
            }

            Assert.Fail("the head still lists the actor of a dead node");
        }
        finally
        {
            await worker.DisposeAsync();
            await head.DisposeAsync();
        }
    }
}
