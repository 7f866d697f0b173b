namespace Granary.Testing;

/// <summary>
/// Where tasks record every execution, so a failure test counts how often each task really ran, not only
/// which results came back (a result entry completes once however often its task ran). One file per run,
/// "INDEX@NODE#ATTEMPT.UNIQUE", in a folder on this machine that every silo, in process or not, can write.
/// The test can also make tasks that start on one node hold there (and mark themselves held), so that node
/// has work in flight when the test kills it.
/// </summary>
public sealed class ExecutionLedger : IDisposable
{
    private const string Runs = "runs";
    private const string Held = "held";

    public ExecutionLedger()
    {
        Folder = Path.Combine(Path.GetTempPath(), "granary-ledger-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(Folder, Runs));
        Directory.CreateDirectory(Path.Combine(Folder, Held));
    }

    /// <summary>Pass this to the tasks.</summary>
    public string Folder { get; }

    /// <summary>
    /// Task side: records this execution (index, node, attempt) and returns it. If the test asked tasks on this
    /// node to hold, marks it held and blocks until the test releases them (at most a minute; a killed process
    /// never returns).
    /// </summary>
    public static Execution Record(string folder, int index)
    {
        var context = TaskContext.Current!;
        var run = new Execution(index, context.NodeId, context.Attempt);
        File.WriteAllText(Path.Combine(folder, Runs, $"{run}.{Guid.NewGuid():N}"), string.Empty);
        if (!File.Exists(Path.Combine(folder, "hold@" + context.NodeId)))
        {
            return run;
        }

        File.WriteAllText(Path.Combine(folder, Held, run.ToString()), string.Empty);
        var until = Environment.TickCount64 + 60_000;
        while (!File.Exists(Path.Combine(folder, "release")) && Environment.TickCount64 < until)
        {
            Thread.Sleep(10);
        }

        return run;
    }

    /// <summary>Every execution recorded so far.</summary>
    public IReadOnlyList<Execution> Executions() =>
        [.. Directory.GetFiles(Path.Combine(Folder, Runs)).Select(f => Execution.Parse(Path.GetFileNameWithoutExtension(f)))];

    /// <summary>Executions now holding on their node (see <see cref="HoldOn"/>).</summary>
    public IReadOnlyList<Execution> HeldExecutions() =>
        [.. Directory.GetFiles(Path.Combine(Folder, Held)).Select(f => Execution.Parse(Path.GetFileName(f)))];

    /// <summary>From now on, tasks that start on <paramref name="nodeId"/> hold there until <see cref="Release"/>.</summary>
    public void HoldOn(string nodeId) => File.WriteAllText(Path.Combine(Folder, "hold@" + nodeId), string.Empty);

    /// <summary>Lets every holding task go on.</summary>
    public void Release() => File.WriteAllText(Path.Combine(Folder, "release"), string.Empty);

    /// <summary>
    /// Checks a workload whose node <paramref name="killed"/> died while the tasks in <paramref name="held"/> held
    /// there: each result is one of the recorded runs; on the nodes that stayed up each task ran exactly once (not
    /// at all if its result came from the killed node); no task ran twice on the killed node; and the node really
    /// had work in flight: the held tasks never finished there and their results came from a retry elsewhere.
    /// </summary>
    public void AssertEachRanOnceAndTheKilledNodesWorkWasRetried(IReadOnlyList<Execution> results, string killed, IReadOnlyList<Execution> held)
    {
        var runs = Executions();
        var recorded = runs.ToHashSet();
        Assert.All(results, r => Assert.Contains(r, recorded));

        var onSurvivors = runs.Where(r => r.NodeId != killed).GroupBy(r => r.Index).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(results, r => Assert.True(
            onSurvivors.GetValueOrDefault(r.Index, []).Count == (r.NodeId == killed ? 0 : 1),
            $"task {r.Index} (result from {r}) ran on the nodes that stayed up as: {string.Join(", ", onSurvivors.GetValueOrDefault(r.Index, []))}"));
        Assert.All(runs.Where(r => r.NodeId == killed).GroupBy(r => r.Index), g => Assert.True(g.Count() == 1, $"task {g.Key} ran {g.Count()} times on {killed}"));

        Assert.NotEmpty(held);
        Assert.All(held, h =>
        {
            Assert.Equal(killed, h.NodeId);
            var result = results[h.Index];
            Assert.True(result.NodeId != killed && result.Attempt > h.Attempt, $"task {h.Index} was in flight on {killed} ({h}) but its result is {result}");
        });
    }

    public void Dispose()
    {
        Release();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A task still writing its record; the folder is in the temp directory.
        }
    }

    /// <summary>One run of task <see cref="Index"/> on a node, on one attempt.</summary>
    public sealed record Execution(int Index, string NodeId, int Attempt)
    {
        /// <summary>"INDEX@NODE#ATTEMPT".</summary>
        public static Execution Parse(string run)
        {
            var at = run.IndexOf('@', StringComparison.Ordinal);
            var hash = run.LastIndexOf('#');
            return new Execution(
                int.Parse(run[..at], System.Globalization.CultureInfo.InvariantCulture),
                run[(at + 1)..hash],
                int.Parse(run[(hash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        public override string ToString() => $"{Index}@{NodeId}#{Attempt}";
    }
}
