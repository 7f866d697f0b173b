using Granary.Runtime.Wire;

namespace Granary.Client.Tests;

/// <summary>
/// MapBatches over a pool of actor replicas. The models (<see cref="BatchModel"/>) coordinate through files in a
/// folder of the test's, so each test orders what the replicas do by state (a batch waits for a file another
/// batch or the test writes), never by how long something takes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MapBatchesTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Results_come_in_input_order_when_replicas_finish_out_of_order()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        // Batch 0 finishes only once batch 1 has, on the other replica (one batch at a time each).
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 1 };
        var runs = await CollectAsync(Client.MapBatches(Enumerable.Range(0, 24), 4, pool, () => new BatchModel(path), (m, rows) => m.FirstFinishesLast(rows))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 6).Select(b => Enumerable.Range(b * 4, 4).ToArray()), runs.Select(r => r.Rows));
        Assert.NotEqual(runs[0].ActorId, runs[1].ActorId);
    }

    [Fact]
    public async Task Every_row_is_in_exactly_one_batch_the_last_one_short_and_the_replicas_are_killed_at_the_end()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 2 };

        var runs = await CollectAsync(Client.MapBatches(RowsAsync(1_003), 100, pool, () => new BatchModel(path), (m, rows) => m.Echo(rows))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 1_003), runs.SelectMany(r => r.Rows));
        Assert.Equal(Enumerable.Repeat(100, 10).Append(3), runs.Select(r => r.Rows.Length));
        Assert.Equal(2, BatchModel.Made(path).Count);
        await AllDeadAsync(path);

        // A synchronous source with a method returning a plain value, and a source with no rows at all.
        var sums = await CollectAsync(Client.MapBatches(Enumerable.Range(1, 10), 4, pool, () => new BatchModel(path), (m, rows) => m.Sum(rows))).WithTimeout();
        Assert.Equal(new long[] { 10, 26, 19 }, sums);
        Assert.Empty(await CollectAsync(Client.MapBatches(Enumerable.Empty<int>(), 4, pool, () => new BatchModel(path), (m, rows) => m.Sum(rows))).WithTimeout());
        await AllDeadAsync(path);
    }

    [Fact]
    public async Task A_slow_first_batch_holds_the_reader_back_to_the_window()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;
        const int batchSize = 10;
        const int window = 2 * 2; // Max × MaxBatchesInFlightPerReplica batches read and not yet yielded
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 2 };
        var source = new CountingSource(1_000, batchSize);
        var results = Client.MapBatches(source.Rows(), batchSize, pool, () => new BatchModel(path), (m, rows) => m.HoldFirst(rows, batchSize)).GetAsyncEnumerator();
        var first = results.MoveNextAsync().AsTask();
        try
        {
            // Batch 0 holds its replica (and the batch queued behind it there); the other replica finishes its two.
            await Eventually.HoldsAsync(() => source.Read >= window * batchSize && Directory.GetFiles(path, "finished.*").Length >= 2, Bounded.Default, "the reader reached the window and the other replica's batches finished", () => $"{source.Read} rows read");
            Assert.False(first.IsCompleted);
            Assert.Equal(window * batchSize, source.Read);

            BatchModel.Mark(path, "release");
            Assert.True(await first.WithTimeout());
            var rows = new List<int>(results.Current.Rows);
            source.Consumed = 1;
            while (await results.MoveNextAsync().AsTask().WithTimeout())
            {
                rows.AddRange(results.Current.Rows);
                source.Consumed++;
            }

            Assert.Equal(Enumerable.Range(0, 1_000), rows);
            Assert.Equal(window * batchSize, source.MostAhead);
        }
        finally
        {
            await ReleaseAndDisposeAsync(path, results, first);
        }
    }

    [Fact]
    public async Task A_consumer_that_stops_reading_stops_the_source_and_the_pool()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;
        const int batchSize = 10;
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 2 };
        var source = new CountingSource(1_000, batchSize);

        async Task<List<BatchRun>> TakeTwoAsync()
        {
            var taken = new List<BatchRun>();
            await foreach (var run in Client.MapBatches(source.Rows(), batchSize, pool, () => new BatchModel(path), (m, rows) => m.Echo(rows)))
            {
                taken.Add(run);
                if (taken.Count == 2)
                {
                    break;
                }
            }

            return taken;
        }

        var taken = await TakeTwoAsync().WithTimeout();
        Assert.Equal(Enumerable.Range(0, 2 * batchSize), taken.SelectMany(r => r.Rows));

        // Leaving the loop disposed the enumeration, which disposed the source before returning.
        Assert.True(source.Disposed);
        Assert.InRange(source.Read, 2 * batchSize, (2 + 4) * batchSize);
        var read = source.Read;
        await AllDeadAsync(path);
        Assert.Equal(read, source.Read);
    }

    [Fact]
    public async Task The_pool_grows_from_Min_to_Max_under_demand_and_no_further()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        // Each of the first three batches runs until three replicas run one at once, so the map finishes only
        // if the pool grew from one to three; six more batches then wait while all three are busy.
        var pool = new ActorPoolOptions { Min = 1, Max = 3, MaxBatchesInFlightPerReplica = 1, MaxBatchRetries = 0 };
        var runs = await CollectAsync(Client.MapBatches(Enumerable.Range(0, 9), 1, pool, () => new BatchModel(path), (m, rows) => m.Together(rows, 3))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 9), runs.Select(r => r.Rows.Single()));
        Assert.Equal(3, runs.Take(3).Select(r => r.ActorId).Distinct().Count());
        Assert.Equal(3, BatchModel.Made(path).Count);
        await AllDeadAsync(path);
    }

    [Fact]
    public async Task A_replica_that_cannot_be_placed_waits_in_the_background_while_the_others_work()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        // Each worker has one "slot": two replicas fit, a third waits for one. The first two batches run until two
        // replicas run one at once, so the pool grows to two, and then asks for a third while both are busy.
        var pool = new ActorPoolOptions { Min = 1, Max = 3, MaxBatchesInFlightPerReplica = 1, MaxBatchRetries = 0, Resources = { ["slot"] = 1 } };
        var runs = await CollectAsync(Client.MapBatches(Enumerable.Range(0, 6), 1, pool, () => new BatchModel(path), (m, rows) => m.Together(rows, 2))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 6), runs.Select(r => r.Rows.Single()));
        Assert.Equal(2, runs.Select(r => r.ActorId).Distinct().Count());

        // The third replica's creation is cancelled when the map ends. The slots the map's own replicas free can
        // reach it before the cancellation reaches the head; then it starts, and the head kills it at once.
        await AllDeadAsync(path);

        // Both slots are free for others again.
        var slots = new ActorOptions { Resources = { ["slot"] = 1 } };
        var one = await Client.CreateActorAsync(() => new Counter(0), slots).WithTimeout();
        var two = await Client.CreateActorAsync(() => new Counter(0), slots).WithTimeout();
        await one.KillAsync().WithTimeout();
        await two.KillAsync().WithTimeout();
    }

    [Fact]
    public async Task A_pool_none_of_whose_replicas_can_start_fails_the_map_with_the_reason()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        var refused = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await CollectAsync(Client.MapBatches(Enumerable.Range(0, 10), 2, new ActorPoolOptions { Min = 2 }, () => BatchModel.Refusing(path), (m, rows) => m.Sum(rows))).WithTimeout());
        Assert.Contains("no model in", refused.Message);

        var infeasible = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () =>
            await CollectAsync(Client.MapBatches(Enumerable.Range(0, 10), 2, new ActorPoolOptions { Cpus = 64 }, () => new BatchModel(path), (m, rows) => m.Sum(rows))).WithTimeout());
        Assert.Contains("CPU", infeasible.Message);
    }

    [Fact]
    public async Task A_failed_batch_is_retried_on_another_replica()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        // Batch 0 always fails on the first replica that gets it; that replica is free again at once, while the
        // other one holds batch 1 until the failure. A retry on the same replica fails again, past MaxBatchRetries.
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 1, MaxBatchRetries = 1 };
        var runs = await CollectAsync(Client.MapBatches(Enumerable.Range(0, 4), 1, pool, () => new BatchModel(path), (m, rows) => m.FailsOnFirstReplica(rows))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 4), runs.Select(r => r.Rows.Single()));
        var owner = Assert.Single(Directory.GetFiles(path, "owner.*")).Split("owner.")[1];
        var ranZero = Directory.GetFiles(path, "ran.0.*").Select(f => Path.GetFileName(f).Split('.')[2]).ToList();
        Assert.Equal(2, ranZero.Count);
        Assert.Contains(owner, ranZero);
        Assert.NotEqual(owner, runs[0].ActorId);
        Assert.Contains(runs[0].ActorId, ranZero);
    }

    [Fact]
    public async Task A_batch_that_fails_past_MaxBatchRetries_fails_the_map_with_its_own_error()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;
        var pool = new ActorPoolOptions { Min = 2, MaxBatchRetries = 2 };

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () =>
            await CollectAsync(Client.MapBatches(Enumerable.Range(0, 20), 2, pool, () => new BatchModel(path), (m, rows) => m.Refuses(rows, 7))).WithTimeout());

        Assert.Contains("row 7 is not supported", error.Message);
        Assert.Equal(typeof(NotSupportedException).FullName, error.Remote().RemoteType);
        Assert.Equal(3, Directory.GetFiles(path, "ran.6.*").Length);
        await AllDeadAsync(path);
    }

    [Fact]
    public async Task A_replica_that_died_is_replaced_and_its_batches_retried()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;

        // Two replicas with two batches each: batch 0 runs (held) on one, X, with another batch waiting behind it
        // there, when the test kills X. Batch 0 ends where it ran; the one behind it fails with ActorDied. From
        // then on each batch waits until a third replica was made, which only replacing X makes: the survivor
        // always has room, so the pool never grows for demand here.
        var pool = new ActorPoolOptions { Min = 2, MaxBatchesInFlightPerReplica = 2, MaxBatchRetries = 1 };
        var results = Client.MapBatches(Enumerable.Range(0, 4), 1, pool, () => new BatchModel(path), (m, rows) => m.HoldOnceThenAwaitReplicas(rows, 3)).GetAsyncEnumerator();
        var first = results.MoveNextAsync().AsTask();
        try
        {
            string? held = null;
            await Eventually.HoldsAsync(() => (held = Directory.GetFiles(path, "holding.*").SingleOrDefault()?.Split("holding.")[1]) is not null, Bounded.Default, "batch 0 is running");
            await Client.Head.KillActor(held!, GranaryDefaults.Namespace, Client.JobId).WithTimeout();
            BatchModel.Mark(path, "killed");
            BatchModel.Mark(path, "release");

            Assert.True(await first.WithTimeout());
            var runs = new List<BatchRun> { results.Current };
            while (await results.MoveNextAsync().AsTask().WithTimeout())
            {
                runs.Add(results.Current);
            }

            Assert.Equal(Enumerable.Range(0, 4), runs.Select(r => r.Rows.Single()));
            Assert.Equal(3, BatchModel.Made(path).Count);
        }
        finally
        {
            await ReleaseAndDisposeAsync(path, results, first);
        }

        await AllDeadAsync(path);
    }

    [Fact]
    public async Task Cancelling_ends_the_map_promptly_and_kills_the_pool()
    {
        using var folder = new ModelFolder();
        var path = folder.Path;
        using var cancel = new CancellationTokenSource();
        var pool = new ActorPoolOptions { Min = 2 };

        // Batch 0 holds for longer than this test waits, so only the cancel can end the wait for it.
        var results = Client.MapBatches(Enumerable.Range(0, 10), 1, pool, () => new BatchModel(path), (m, rows) => m.HoldLong(rows), cancel.Token).GetAsyncEnumerator();
        try
        {
            var first = results.MoveNextAsync().AsTask();
            await Eventually.HoldsAsync(() => BatchModel.Made(path).Count == 2 && BatchModel.Exists(path, "holding"), Bounded.Default, "both replicas are up and batch 0 runs");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WithTimeout());
            await results.DisposeAsync().WithTimeout();
            await AllDeadAsync(path);
        }
        finally
        {
            // The killed replica's call still runs; let it end before its folder goes, or it would wait on.
            BatchModel.Mark(path, "release");
            await Eventually.HoldsAsync(() => BatchModel.Exists(path, "released"), Bounded.Default, "the held call has ended");
        }
    }

    [Fact]
    public void Bad_arguments_fail_at_the_call_naming_the_property_and_the_fix()
    {
        var rows = new[] { 1, 2, 3 };
        ArgumentException Bad(ActorPoolOptions pool, int batchSize = 2) =>
            Assert.ThrowsAny<ArgumentException>(() => Client.MapBatches(rows, batchSize, pool, () => new BatchModel("unused"), (m, r) => m.Sum(r)));

        var error = Bad(new ActorPoolOptions(), batchSize: 0);
        Assert.Equal("batchSize", error.ParamName);
        Assert.Contains("batchSize must be 1 or more", error.Message);

        error = Bad(new ActorPoolOptions { Min = 0 });
        Assert.Equal(nameof(ActorPoolOptions.Min), error.ParamName);
        Assert.Contains("Min must be 1 or more", error.Message);

        error = Bad(new ActorPoolOptions { Min = 3, Max = 2 });
        Assert.Equal(nameof(ActorPoolOptions.Max), error.ParamName);
        Assert.Contains("Max (2) must be at least Min (3); raise Max, or leave it null", error.Message);

        error = Bad(new ActorPoolOptions { MaxBatchesInFlightPerReplica = 0 });
        Assert.Equal(nameof(ActorPoolOptions.MaxBatchesInFlightPerReplica), error.ParamName);
        Assert.Contains("must be 1 or more", error.Message);

        error = Bad(new ActorPoolOptions { MaxBatchRetries = -1 });
        Assert.Equal(nameof(ActorPoolOptions.MaxBatchRetries), error.ParamName);
        Assert.Contains("must be 0 or more", error.Message);

        error = Bad(new ActorPoolOptions { Gpus = -1 });
        Assert.Equal(nameof(ActorPoolOptions.Gpus), error.ParamName);

        error = Assert.ThrowsAny<ArgumentException>(() => Client.MapBatches(rows, 2, new ActorPoolOptions(), () => new BatchModel("unused"), (m, r) => r.Length));
        Assert.Equal("predict", error.ParamName);
        Assert.Contains("(model, rows) => model.Predict(rows)", error.Message);
    }

    /// <summary>
    /// Lets a held batch go and ends the enumeration, also when the test failed part way: an async iterator
    /// cannot be disposed while a MoveNextAsync is under way, so the first one is waited for (whatever its outcome).
    /// </summary>
    private static async Task ReleaseAndDisposeAsync<T>(string folder, IAsyncEnumerator<T> results, Task<bool> first)
    {
        BatchModel.Mark(folder, "release");
        await Task.WhenAny(first).WithTimeout();
        await results.DisposeAsync().WithTimeout();
    }

    /// <summary>Waits until every replica this folder's models were made as is dead in the head's directory.</summary>
    private async Task AllDeadAsync(string folder)
    {
        var made = BatchModel.Made(folder);
        Assert.NotEmpty(made);
        IReadOnlyList<ActorInfo> listed = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                listed = (await Client.Head.ListActors().WithTimeout()).Actors;
                return made.All(id => listed.Any(a => a.ActorId == id) && listed.Where(a => a.ActorId == id).All(a => a.State == ActorState.Dead));
            },
            Bounded.Default,
            "every replica of the map is dead",
            () => string.Join(", ", made.Select(id => $"{id}: {string.Join("/", listed.Where(a => a.ActorId == id).Select(a => a.State))}")));
    }

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static async IAsyncEnumerable<int> RowsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i % 100 == 0)
            {
                await Task.Yield();
            }

            yield return i;
        }
    }

    /// <summary>
    /// Rows 0..count-1 that count how many were read, and how far the reader ever got ahead of the consumer
    /// (rows read minus rows of the batches the consumer has, <see cref="Consumed"/> of them).
    /// </summary>
    private sealed class CountingSource(int count, int batchSize)
    {
        private int _read;
        private int _consumed;
        private int _mostAhead;
        private volatile bool _disposed;

        public int Read => Volatile.Read(ref _read);

        public int Consumed
        {
            get => Volatile.Read(ref _consumed);
            set => Volatile.Write(ref _consumed, value);
        }

        public int MostAhead => Volatile.Read(ref _mostAhead);

        public bool Disposed => _disposed;

        public IEnumerable<int> Rows()
        {
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var read = Interlocked.Increment(ref _read);
                    var ahead = read - (Consumed * batchSize);
                    if (ahead > Volatile.Read(ref _mostAhead))
                    {
                        Volatile.Write(ref _mostAhead, ahead);
                    }

                    yield return i;
                }
            }
            finally
            {
                _disposed = true;
            }
        }
    }

    private sealed class ModelFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "granary-batches-" + Guid.NewGuid().ToString("N")[..12])).FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A replica still writing its mark; the folder is in the temp directory.
            }
        }
    }
}
