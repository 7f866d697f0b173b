namespace Granary.Benchmarks;

/// <summary>The task and actor-call workloads of `ray microbenchmark`, written against Granary's client API.</summary>
internal sealed class Rows(GranaryClient client, IReadOnlyList<GranaryClient> clients, double scale)
{
    /// <summary>
    /// The floor the sync rows are held to: a raw Orleans call on the route Granary's calls take, straight to
    /// the worker's silo (its relayed twin, through the head's gateway, is a row of its own).
    /// </summary>
    public const string EngineFloorSync = "engine_floor_grain_calls_sync_direct";

    private int Count(int n) => Math.Max(10, (int)(n * scale));

    public async Task<List<Row>> CreateAsync()
    {
        var pinger = await client.CreateActorAsync(() => new Pinger());
        var concurrent = await client.CreateActorAsync(() => new Pinger(), new ActorOptions { MaxConcurrency = 16 });
        var many = new List<ActorHandle<Pinger>>();
        for (var i = 0; i < 4; i++)
        {
            many.Add(await client.CreateActorAsync(() => new Pinger(), new ActorOptions { Placement = SpreadPlacement.Instance }));
        }

        var perClient = new List<ActorHandle<Pinger>>();
        foreach (var other in clients)
        {
            perClient.Add(await other.CreateActorAsync(() => new Pinger(), new ActorOptions { Placement = SpreadPlacement.Instance }));
        }

        return
        [
            new("single_client_tasks_sync", "ops/s", "loopback", async () =>
            {
                var n = Count(2_000);
                for (var i = 0; i < n; i++)
                {
                    await client.Remote(() => Workloads.Noop());
                }

                return n;
            }, EngineFloorSync),
            new("single_client_tasks_async", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                await client.GetAllAsync(Submit(client, n));
                return n;
            }),
            new("single_client_nested_tasks_async", "ops/s", null, async () =>
            {
                // One task submits the no-ops from inside the cluster (its in-cluster client) and awaits them.
                var n = Count(20_000);
                var done = await client.Remote(() => Workloads.SubmitNoops(n));
                return done == n ? n : throw new InvalidOperationException($"the nested round ran {done} of {n} tasks");
            }),
            new("cancel_tasks", "ops/s", null, async () =>
            {
                // Tasks that wait for their cancel; each cancel counts once its ref has failed.
                var n = Count(2_000);
                var refs = Enumerable.Range(0, n).Select(_ => client.Remote(() => Workloads.WaitForCancel(CancellationToken.None))).ToList();
                await Task.WhenAll(refs.Select(r => client.CancelAsync(r)));
                var cancelled = 0;
                foreach (var r in refs)
                {
                    try
                    {
                        await r;
                    }
                    catch (TaskCancelledException)
                    {
                        cancelled++;
                    }
                }

                return cancelled == n ? n : throw new InvalidOperationException($"{cancelled} of {n} tasks were cancelled");
            }),
            new("tasks_calling_a_passed_actor_handle_async", "ops/s", null, async () =>
            {
                // Each task gets the actor's handle as an argument and calls the actor through it.
                var n = Count(2_000);
                await client.GetAllAsync(Enumerable.Range(0, n).Select(_ => client.Remote(() => Workloads.PingThrough(pinger))).ToList());
                return n;
            }),
            new("multi_client_tasks_async", "ops/s", null, async () =>
            {
                var n = Count(20_000) / clients.Count;
                await Task.WhenAll(clients.Select(c => c.GetAllAsync(Submit(c, n))));
                return n * clients.Count;
            }),
            new("1_1_actor_calls_sync", "ops/s", "loopback", async () =>
            {
                var n = Count(2_000);
                for (var i = 0; i < n; i++)
                {
                    await pinger.Call(p => p.Ping());
                }

                return n;
            }, EngineFloorSync),
            new("1_1_actor_calls_async", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                await client.GetAllAsync(Enumerable.Range(0, n).Select(_ => pinger.Call(p => p.Ping())).ToList());
                return n;
            }),
            new("1_1_actor_calls_concurrent", "ops/s", null, async () =>
            {
                var n = Count(10_000);
                await client.GetAllAsync(Enumerable.Range(0, n).Select(_ => concurrent.Call(p => p.PingLater())).ToList());
                return n;
            }),
            new("1_n_actor_calls_async", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                await client.GetAllAsync(Enumerable.Range(0, n).Select(i => many[i % many.Count].Call(p => p.Ping())).ToList());
                return n;
            }),
            new("n_n_actor_calls_async", "ops/s", null, async () =>
            {
                var n = Count(20_000) / clients.Count;
                await Task.WhenAll(clients.Select((c, k) => c.GetAllAsync(Enumerable.Range(0, n).Select(_ => perClient[k].Call(p => p.Ping())).ToList())));
                return n * clients.Count;
            }),
        ];
    }

    public static List<ObjectRef<int>> Submit(GranaryClient client, int n)
    {
        var refs = new List<ObjectRef<int>>(n);
        for (var i = 0; i < n; i++)
        {
            refs.Add(client.Remote(() => Workloads.Noop()));
        }

        return refs;
    }
}
