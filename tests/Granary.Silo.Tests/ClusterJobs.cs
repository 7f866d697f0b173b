namespace Granary.Silo.Tests;

/// <summary>Remote functions for the process-cluster tests; the client ships this assembly to the silos.</summary>
public static class ClusterJobs
{
    private static int _running;

    /// <summary>The node this task runs on.</summary>
    public static string Where() => TaskContext.Current!.NodeId;

    /// <summary>Holds its resources for <paramref name="millis"/> ms, then says where it ran.</summary>
    public static string HoldThenWhere(int millis)
    {
        Thread.Sleep(millis);
        return TaskContext.Current!.NodeId;
    }

    /// <summary>
    /// Drops "started-INDEX@NODE" into <paramref name="gate"/> (a folder on the test's machine, where the silos
    /// run too), then holds its resources until the test creates the file "open" there (at most a minute).
    /// So a test knows which tasks run at the same time without guessing from sleeps.
    /// </summary>
    public static string HoldUntilOpen(string gate, int index)
    {
        var node = TaskContext.Current!.NodeId;
        File.WriteAllText(Path.Combine(gate, $"started-{index}@{node}"), string.Empty);
        var until = Environment.TickCount64 + 60_000;
        while (!File.Exists(Path.Combine(gate, "open")))
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"task {index} on {node}: the test never opened the gate {gate}");
            }

            Thread.Sleep(10);
        }

        return node;
    }

    /// <summary>Where it ran and the GPU ids it was given.</summary>
    public static Placed Describe(int millis)
    {
        Thread.Sleep(millis);
        var context = TaskContext.Current!;
        return new Placed(context.NodeId, [.. context.GpuIds]);
    }

    /// <summary>"IDS|VISIBLE": the GPU ids it was given and the CUDA_VISIBLE_DEVICES of the process it ran in.</summary>
    public static string GpusAndVisibleDevices() =>
        $"{string.Join(',', TaskContext.Current!.GpuIds)}|{Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")}";

    /// <summary>
    /// How many of these tasks ran at once on this silo (in this job) while this one ran, itself included.
    /// The counter is static in the job's code on that silo, so it sees every task of the job running there.
    /// </summary>
    public static Overlap CountOverlap(int millis)
    {
        var now = Interlocked.Increment(ref _running);
        var most = now;
        try
        {
            var until = Environment.TickCount64 + millis;
            while (Environment.TickCount64 < until)
            {
                most = Math.Max(most, Volatile.Read(ref _running));
                Thread.Sleep(10);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }

        return new Overlap(TaskContext.Current!.NodeId, most);
    }

    /// <summary>
    /// Like <see cref="Stamp"/>, but first drops a file "INDEX@NODE#ATTEMPT" into <paramref name="markers"/> (the
    /// silos run on the test's machine), so a test can see which tasks are running where.
    /// </summary>
    public static Stamp MarkThenStamp(int index, int millis, string markers)
    {
        var context = TaskContext.Current!;
        File.WriteAllText(Path.Combine(markers, $"{index}@{context.NodeId}#{context.Attempt}"), string.Empty);
        return Stamp(index, millis);
    }

    /// <summary>
    /// A short task for failure tests that records each execution in the ledger (see <see cref="ExecutionLedger"/>;
    /// it holds there if the test asked tasks on its node to), so a test counts runs, not only results.
    /// </summary>
    public static ExecutionLedger.Execution RecordedStamp(int index, int millis, string ledger)
    {
        var run = ExecutionLedger.Record(ledger, index);
        if (millis > 0)
        {
            Thread.Sleep(millis);
        }

        return run;
    }

    /// <summary>Records the attempt, then takes its node down with it: SIGKILL of its own silo process, as a machine crash would.</summary>
    public static int RecordThenKillNode(string ledger)
    {
        ExecutionLedger.Record(ledger, 0);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>A short task for failure tests: returns its own index, where it ran and on which attempt.</summary>
    public static Stamp Stamp(int index, int millis)
    {
        if (millis > 0)
        {
            Thread.Sleep(millis);
        }

        var context = TaskContext.Current!;
        return new Stamp(index, context.NodeId, context.Attempt);
    }
}

public sealed record Placed(string NodeId, int[] GpuIds);

public sealed record Overlap(string NodeId, int MostAtOnce);

public sealed record Stamp(int Index, string NodeId, int Attempt);

/// <summary>An actor that reports where it lives; with no CPUs asked it holds none.</summary>
public sealed class PlacedActor
{
    public string Where() => TaskContext.Current!.NodeId;

    public int[] Gpus() => [.. TaskContext.Current!.GpuIds];

    /// <summary>Creates the file <paramref name="marker"/> (on the test's machine), so the test knows the call is running, then sleeps.</summary>
    public async Task<string> MarkThenSleepAsync(string marker, int millis)
    {
        await File.WriteAllTextAsync(marker, string.Empty);
        await Task.Delay(millis);
        return TaskContext.Current!.NodeId;
    }
}
