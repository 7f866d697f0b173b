namespace Granary.Benchmarks;

/// <summary>The workloads of `ray microbenchmark`, written against Granary's client API.</summary>
internal sealed class Rows(GranaryClient client, IReadOnlyList<GranaryClient> clients, double scale)
{
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

        var bigBytes = (int)Math.Max(1 << 20, 64 * (1 << 20) * Math.Min(1, scale * 4));
        var big = new byte[bigBytes];
        Random.Shared.NextBytes(big);
        var stored = client.Put(big);
        await stored.WaitAsync();

        // Ray's workload for the 10k-refs row: one object holding 10,000 refs to small objects, put once.
        // At about 100 bytes a ref it is too large to travel inline, so every get pulls it from a silo.
        var holder = client.Put(Enumerable.Range(0, 10_000).Select(i => client.Put(i)).ToList());
        await holder.WaitAsync();

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
            }),
            new("single_client_tasks_async", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                await client.GetAllAsync(Submit(client, n));
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
            }),
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
            new("single_client_put_calls", "ops/s", null, () =>
            {
                var n = Count(20_000);
                for (var i = 0; i < n; i++)
                {
                    _ = client.Put(i);
                }

                return Task.FromResult((double)n);
            }),
            new("single_client_get_calls", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                var refs = Enumerable.Range(0, n).Select(i => client.Put(i)).ToList();
                foreach (var reference in refs)
                {
                    await reference;
                }

                return n;
            }),
            new("single_client_put_gigabytes", "GB/s", "memcpy", async () =>
            {
                var reference = client.Put(big);
                await reference.WaitAsync();
                return big.Length / 1e9;
            }),
            new("single_client_get_gigabytes", "GB/s", "memcpy", async () =>
            {
                var value = await stored;
                return value.Length / 1e9;
            }),
            new("single_client_get_object_containing_10k_refs", "ops/s", null, async () =>
            {
                var refs = await holder;
                return refs.Count == 10_000 ? 1 : throw new InvalidOperationException($"got {refs.Count} refs back, not 10,000");
            }),
            new("single_client_wait_1k_refs", "ops/s", null, async () =>
            {
                var refs = Submit(client, 1_000);
                await client.WaitAsync(refs, numReturns: refs.Count);
                return 1;
            }),
            new("placement_group_create_removal", "ops/s", null, async () =>
            {
                // Ray's workload: create them all, wait until each is ready, then remove them all.
                var n = Count(1_000);
                var groups = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => client.CreatePlacementGroupAsync([new ResourceBundle(0.001)])));
                await Task.WhenAll(groups.Select(g => client.RemovePlacementGroupAsync(g)));
                return n;
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
