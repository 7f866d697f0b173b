namespace Granary.Client.Tests;

/// <summary>What one predict call saw: its rows and the replica (actor) that ran it.</summary>
public sealed record BatchRun(int[] Rows, string ActorId);

/// <summary>
/// The models MapBatchesTests sends batches to. Replicas run in the silos (in their job load contexts, so a
/// static here is not the test's), so they talk to the test through files in a folder on this machine: each
/// constructor marks "made.ACTOR", and the tests' gates are files the test or another replica writes.
/// </summary>
public sealed class BatchModel
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _folder;

    public BatchModel(string folder)
    {
        _folder = folder;
        File.WriteAllText(Path.Combine(folder, "made." + Me), string.Empty);
    }

    private static string Me => TaskContext.Current!.ActorId!;

    /// <summary>A factory whose every replica fails to start.</summary>
    public static BatchModel Refusing(string folder) => throw new ArgumentException($"no model in {folder}");

    /// <summary>The actors this folder's models were made as, by their constructors.</summary>
    public static IReadOnlyList<string> Made(string folder) =>
        [.. Directory.GetFiles(folder, "made.*").Select(f => Path.GetFileName(f)["made.".Length..])];

    public static bool Exists(string folder, string name) => File.Exists(Path.Combine(folder, name));

    public static void Mark(string folder, string name) => File.WriteAllText(Path.Combine(folder, name), string.Empty);

    /// <summary>Atomically claims <paramref name="name"/>: true for the first caller only, whichever replica it is.</summary>
    public static bool Claim(string folder, string name)
    {
        try
        {
            using var created = new FileStream(Path.Combine(folder, name), FileMode.CreateNew);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public BatchRun Echo(int[] rows) => new(rows, Me);

    public long Sum(int[] rows) => rows.Sum(r => (long)r);

    /// <summary>Batch 0 (the one holding row 0) finishes only after batch 1 has: replies come back out of order.</summary>
    public async Task<BatchRun> FirstFinishesLast(int[] rows)
    {
        if (rows[0] == 0)
        {
            await UntilAsync("finished.1");
        }

        var run = new BatchRun(rows, Me);
        Mark(_folder, "finished." + (rows[0] / rows.Length));
        return run;
    }

    /// <summary>Batch 0 waits for the test's "release"; every batch marks "finished.INDEX" (batches of <paramref name="batchSize"/>).</summary>
    public BatchRun HoldFirst(int[] rows, int batchSize)
    {
        if (rows[0] == 0)
        {
            Until("release");
        }

        Mark(_folder, "finished." + (rows[0] / batchSize));
        return new BatchRun(rows, Me);
    }

    /// <summary>Each of the first <paramref name="parties"/> batches (of one row) runs until that many replicas are running one together.</summary>
    public BatchRun Together(int[] rows, int parties)
    {
        Mark(_folder, "arrived." + Me);
        if (rows[0] < parties)
        {
            var until = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
            int arrived;
            while ((arrived = Directory.GetFiles(_folder, "arrived.*").Length) < parties)
            {
                if (Environment.TickCount64 > until)
                {
                    throw new TimeoutException($"only {arrived} of {parties} replicas ever ran a batch at once");
                }

                Thread.Sleep(5);
            }
        }

        return new BatchRun(rows, Me);
    }

    /// <summary>
    /// Row 0's batch always fails on the first replica that gets it (its owner), and on no other; it fails only once
    /// row 1's batch runs, so both replicas are in the pool by then. Row 1's batch holds its replica until that
    /// failure, so the other replica is still busy when the failed batch comes back and the owner is free.
    /// </summary>
    public BatchRun FailsOnFirstReplica(int[] rows)
    {
        Mark(_folder, $"ran.{rows[0]}.{Me}.{Guid.NewGuid():N}");
        if (rows[0] == 0)
        {
            if (Claim(_folder, "claimed.0"))
            {
                Mark(_folder, "owner." + Me);
            }

            if (Exists(_folder, "owner." + Me))
            {
                Until("started.1");
                Mark(_folder, "failed.0");
                throw new InvalidOperationException("batch 0 refused on " + Me);
            }
        }

        if (rows[0] == 1)
        {
            Mark(_folder, "started.1");
            Until("failed.0");
        }

        return new BatchRun(rows, Me);
    }

    /// <summary>Every batch holding row <paramref name="bad"/> throws, wherever it runs.</summary>
    public BatchRun Refuses(int[] rows, int bad)
    {
        Mark(_folder, $"ran.{rows[0]}.{Me}.{Guid.NewGuid():N}");
        return rows.Contains(bad) ? throw new NotSupportedException($"row {bad} is not supported") : new BatchRun(rows, Me);
    }

    /// <summary>
    /// The first run of row 0's batch marks "holding.ACTOR" and waits for "release". Once the test has marked
    /// "killed", every other batch waits until <paramref name="replicas"/> replicas have been made.
    /// </summary>
    public BatchRun HoldOnceThenAwaitReplicas(int[] rows, int replicas)
    {
        if (rows[0] == 0 && Claim(_folder, "claimed.0"))
        {
            Mark(_folder, "holding." + Me);
            Until("release");
        }
        else if (Exists(_folder, "killed"))
        {
            var until = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
            while (Made(_folder).Count < replicas)
            {
                if (Environment.TickCount64 > until)
                {
                    throw new TimeoutException($"only {Made(_folder).Count} of {replicas} replicas were ever made");
                }

                Thread.Sleep(5);
            }
        }

        return new BatchRun(rows, Me);
    }

    /// <summary>Row 0's batch marks "holding" and waits for "release", longer than any test waits for it, then marks "released".</summary>
    public async Task<BatchRun> HoldLong(int[] rows)
    {
        if (rows[0] == 0)
        {
            Mark(_folder, "holding");
            await UntilAsync("release", TimeSpan.FromSeconds(90));
            Mark(_folder, "released");
        }

        return new BatchRun(rows, Me);
    }

    private void Until(string name)
    {
        var until = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (!Exists(_folder, name))
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"{name} never appeared");
            }

            Thread.Sleep(5);
        }
    }

    private async Task UntilAsync(string name, TimeSpan? bound = null)
    {
        var until = Environment.TickCount64 + (long)(bound ?? Bound).TotalMilliseconds;
        while (!Exists(_folder, name))
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"{name} never appeared");
            }

            await Task.Delay(5);
        }
    }
}
