using System.Diagnostics;
using Granary;

namespace BatchInference;

/// <summary>
/// The sample end to end on an embedded cluster (a head and two worker silos with 2 CPUs each, in this
/// process): a million rows scored by MapBatches over a pool of 1 to 4 model replicas, results checked in
/// input order against the same model run here, and the same scoring done in this process for comparison.
/// </summary>
public static class BatchInferenceDemo
{
    public const int Features = 8;
    public const int Seed = 17;

    public static async Task<bool> RunAsync(TextWriter output, long rows = 1_000_000, int batchSize = 10_000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 }, cancellationToken);
        var pool = new ActorPoolOptions { Min = 1, Max = 4, Cpus = 1 };

        var clock = Stopwatch.StartNew();
        var replicas = new HashSet<string>();
        var batch = 0L;
        var scored = 0L;
        var mismatches = 0;
        using var local = new ScoringModel(Features, Seed);
        await foreach (var result in cluster.MapBatches(RowSource.Rows(rows, Features), batchSize, pool, () => new ScoringModel(Features, Seed), (model, rows) => model.Score(rows), cancellationToken))
        {
            replicas.Add(result.Replica);
            scored += result.Scores.Length;

            // In input order: batch k holds rows k*batchSize..; check the first, one in the middle and the last.
            if (batch == 0 || batch == rows / batchSize / 2 || scored == rows)
            {
                var from = batch * batchSize;
                var expected = local.Score([.. Enumerable.Range(0, result.Scores.Length).Select(i => RowSource.Row(from + i, Features))]).Scores;
                mismatches += expected.Zip(result.Scores).Count(p => Math.Abs(p.First - p.Second) > 1e-5);
            }

            batch++;
        }

        var distributed = scored / clock.Elapsed.TotalSeconds;
        output.WriteLine($"MapBatches: {scored:N0} rows in {batch} batches, {replicas.Count} replicas, {distributed:N0} rows/s");

        clock.Restart();
        var here = ScoreInProcess(local, rows, batchSize);
        output.WriteLine($"one process: {here:N0} rows, {here / clock.Elapsed.TotalSeconds:N0} rows/s");
        var ok = scored == rows && mismatches == 0 && replicas.Count is >= 1 and <= 4;
        output.WriteLine(ok ? "Every row was scored once, in input order, with the same scores as the model run here." : $"{mismatches} scores differ, {scored:N0} of {rows:N0} rows scored!");
        return ok;
    }

    /// <summary>The comparison: the same rows scored batch by batch by <paramref name="model"/> in this process; returns the rows scored.</summary>
    public static long ScoreInProcess(ScoringModel model, long rows, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        var scored = 0L;
        foreach (var chunk in RowSource.Rows(rows, Features).Chunk(batchSize))
        {
            scored += model.Score(chunk).Scores.Length;
        }

        return scored;
    }
}
