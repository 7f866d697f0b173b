namespace Granary.Benchmarks;

/// <summary>
/// The object rows of `ray microbenchmark`. Ray's ray.put and ray.get of a small value are round trips
/// to the node's object store, so the Ray-named rows use <paramref name="storeClient"/>, a client whose
/// inline threshold is 0: every Put is uploaded to a worker silo's store and every get fetches it back.
/// The default client keeps small values in its own memory; that real, cheaper path is measured as the
/// *_local rows.
/// </summary>
internal sealed class ObjectRows(GranaryClient client, GranaryClient storeClient, double scale)
{
    private int Count(int n) => Math.Max(10, (int)(n * scale));

    public async Task<List<Row>> CreateAsync()
    {
        var bigBytes = (int)Math.Max(1 << 20, 64 * (1 << 20) * Math.Min(1, scale * 4));
        var big = new byte[bigBytes];
        Random.Shared.NextBytes(big);
        var stored = client.Put(big);
        await stored.WaitAsync();

        // Ray's get row reads one small object, put once, again and again.
        var storedSmall = storeClient.Put(0);
        await storedSmall.WaitAsync();
        var localSmall = client.Put(0);
        await localSmall.WaitAsync();

        // Ray's 10k-refs object comes back from a remote task that put the 10,000 objects on its node.
        var fromTask = client.Remote(() => Workloads.ContainingRefs());
        await fromTask.WaitAsync();

        // The same shape put by the client itself: the client owns every ref, so reading them back resolves
        // each one to its own live entry.
        var fromClient = client.Put(Enumerable.Range(0, 10_000).Select(i => client.Put(i)).ToList());
        await fromClient.WaitAsync();

        return
        [
            new("single_client_put_calls", "ops/s", null, async () =>
            {
                // ray.put returns once the store holds the object, so each put is waited for before the next.
                var n = Count(2_000);
                for (var i = 0; i < n; i++)
                {
                    await storeClient.Put(i).WaitAsync();
                }

                return n;
            }),
            new("single_client_put_calls_local", "ops/s", null, () =>
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
                var n = Count(2_000);
                for (var i = 0; i < n; i++)
                {
                    _ = await storedSmall;
                }

                return n;
            }),
            new("single_client_get_calls_local", "ops/s", null, async () =>
            {
                var n = Count(20_000);
                for (var i = 0; i < n; i++)
                {
                    _ = await localSmall;
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
            new("single_client_get_object_containing_10k_refs", "ops/s", null, async () => Check(await fromTask)),
            new("single_client_get_object_containing_10k_refs_owned", "ops/s", null, async () => Check(await fromClient)),
            new("single_client_wait_1k_refs", "ops/s", null, async () =>
            {
                // Ray's workload: 1,000 tasks, then 1,000 waits for one ref each on the shrinking not-ready list.
                IReadOnlyList<ObjectRef<int>> notReady = Rows.Submit(client, 1_000);
                while (notReady.Count > 0)
                {
                    (_, notReady) = await client.WaitAsync(notReady, numReturns: 1);
                }

                return 1;
            }),
            new("single_client_wait_1k_refs_at_once", "ops/s", null, async () =>
            {
                var refs = Rows.Submit(client, 1_000);
                await client.WaitAsync(refs, numReturns: refs.Count);
                return 1;
            }),
        ];
    }

    private static double Check(List<ObjectRef<int>> refs) =>
        refs.Count == 10_000 ? 1 : throw new InvalidOperationException($"got {refs.Count} refs back, not 10,000");
}
