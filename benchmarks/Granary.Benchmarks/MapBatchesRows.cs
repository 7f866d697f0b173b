namespace Granary.Benchmarks;

/// <summary>
/// Batch inference through MapBatches (Ray Data's map_batches over an actor pool): rows per second from the
/// source to the consumer, through a pool of two replicas of a model that only sums its batch.
/// </summary>
internal sealed class MapBatchesRows(GranaryClient client, double scale)
{
    private const int BatchSize = 10_000;

    public List<Row> Create() =>
    [
        new("map_batches_rows_per_second", "rows/s", null, async () =>
        {
            // A round is one whole map: the pool is created at its start and killed at its end, as in a real
            // job's map_batches call, so the figure includes starting the two replicas.
            var n = Math.Max(10 * BatchSize, (int)(1_000_000 * scale));
            var pool = new ActorPoolOptions { Min = 2, Max = 2 };
            long total = 0;
            await foreach (var sum in client.MapBatches(Enumerable.Range(0, n), BatchSize, pool, () => new BatchSummer(), (m, rows) => m.Sum(rows)))
            {
                total += sum;
            }

            var expected = (long)n * (n - 1) / 2;
            return total == expected ? n : throw new InvalidOperationException($"the map summed {total}, not {expected}");
        }),
    ];
}
