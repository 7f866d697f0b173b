using System.Diagnostics;
using System.Runtime.Loader;

namespace Granary.Client.Tests;

/// <summary>Remote functions the tests run. They execute on silos, inside the job's load context.</summary>
public static class TestJobs
{
    public static int Square(int x) => x * x;

    public static int Add(int a, int b) => a + b;

    public static int Add3(int a, int b, int c) => a + b + c;

    public static string Concat(string prefix, int n) => prefix + n;

    public static async Task<int> SquareLater(int x)
    {
        await Task.Delay(5);
        return x * x;
    }

    public static async ValueTask<int> SquareValueTask(int x)
    {
        await Task.Yield();
        return x * x;
    }

    public static void Nothing(int x)
    {
        _ = x;
    }

    public static async Task NothingLater()
    {
        await Task.Delay(1);
    }

    public static string WhereAmI() => TaskContext.Current?.NodeId ?? "no context";

    public static TaskInfo Describe()
    {
        var context = AssemblyLoadContext.GetLoadContext(typeof(TestJobs).Assembly)!;
        return new TaskInfo(TaskContext.Current!.NodeId, TaskContext.Current.JobId, context.Name ?? string.Empty, context.IsCollectible);
    }

    public static int Fail(string message) => throw new InvalidOperationException(message);

    public static int ThrowQuota(string message) => throw new QuotaExceededError(message);

    public static int ThrowOpaque() => throw new OpaqueError();

    /// <summary>Records the attempt (see <see cref="ExecutionLedger"/>), then throws: every attempt fails.</summary>
    public static int RecordThenFail(string ledger)
    {
        ExecutionLedger.Record(ledger, 0);
        throw new InvalidOperationException("fails on every attempt");
    }

    public static int FailOnFirstAttempt(int value) =>
        TaskContext.Current!.Attempt == 0 ? throw new TimeoutException("first attempt always fails") : value;

    public static int[] Range(int count) => Enumerable.Range(0, count).ToArray();

    /// <summary>0, 1, 2, ... without LINQ's per-element cost, for arrays of billions of bytes.</summary>
    public static int[] Ramp(int count)
    {
        var values = GC.AllocateUninitializedArray<int>(count);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i;
        }

        return values;
    }

    public static long SumInts(int[] values) => values.Sum(v => (long)v);

    public static double SumDoubles(double[] values) => values.Sum();

    public static int Length(byte[] data) => data.Length;

    public static byte[] Bytes(int count) => Enumerable.Range(0, count).Select(i => (byte)i).ToArray();

    public static Point Move(Point point, int dx) => point with { X = point.X + dx };

    public static (int, string) Pair(int n) => (n, "n" + n);

    public static Interval Timed(int index, int millis)
    {
        var start = Stopwatch.GetTimestamp();
        Thread.Sleep(millis);
        return new Interval(index, start, Stopwatch.GetTimestamp());
    }

    /// <summary>Like <see cref="Timed"/>, but runs until <paramref name="parties"/> of these tasks are running at once (see <see cref="TaskBarrier"/>).</summary>
    public static Interval TimedTogether(int index, string barrier, int parties)
    {
        var start = Stopwatch.GetTimestamp();
        TaskBarrier.Reach(barrier, parties, "task-" + index);
        return new Interval(index, start, Stopwatch.GetTimestamp());
    }

    public static int Touch(Loop loop) => loop.Next is null ? 0 : 1;

    public static string Shout(Word word) => word.Text().ToUpperInvariant();

    public static Word Echo(Word word) => new(word.Text() + "!");

    public static IReadOnlyList<double> Doubles(int count) => Enumerable.Range(0, count).Select(i => (double)i).ToArray();

    public static object Boxed() => new[] { 1L, 2L };

    public static async ValueTask Pause() => await Task.Delay(1);
}

public sealed record Point(int X, int Y);

public sealed record TaskInfo(string NodeId, string JobId, string ContextName, bool Collectible);

public sealed record Interval(int Index, long Start, long End);

/// <summary>
/// Only <see cref="WordSerializer"/> can carry this type: MessagePack sees no public members and no public
/// constructor that takes only members, so a round trip proves the custom serializer ran on both sides.
/// </summary>
public sealed class Word(string text)
{
    private readonly string _text = text;

    public string Text() => _text;
}

/// <summary>A value the built-in serializer refuses (a reference cycle).</summary>
public sealed class Loop
{
    public Loop? Next { get; set; }
}

/// <summary>Functions for process-isolation tests: they report or end the process they run in.</summary>
public static class ProcessJobs
{
    public static WorkerInfo Describe() => new(
        Environment.ProcessId,
        Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"),
        string.Join(',', TaskContext.Current!.GpuIds));

    public static int Exit(int code)
    {
        Environment.Exit(code);
        return code;
    }

    public static int CrashOnAnotherThread()
    {
        new Thread(() => throw new InvalidOperationException("unhandled on a background thread")).Start();
        Thread.Sleep(30_000);
        return 0;
    }

    /// <summary>Records the attempt (see <see cref="ExecutionLedger"/>), then ends its worker process: every attempt crashes.</summary>
    public static int RecordThenExit(string ledger)
    {
        ExecutionLedger.Record(ledger, 0);
        Environment.Exit(3);
        return 0;
    }

    public static int ExitOnFirstAttempt(int value)
    {
        if (TaskContext.Current!.Attempt == 0)
        {
            Environment.Exit(3);
        }

        return value;
    }
}

public sealed record WorkerInfo(int Pid, string? CudaVisibleDevices, string GpuIds);

/// <summary>Functions for placement tests: each reports where it ran.</summary>
public static class PlacementJobs
{
    public static string Node() => TaskContext.Current!.NodeId;

    /// <summary>Holds its resources until <paramref name="parties"/> of these tasks run at once (see <see cref="TaskBarrier"/>), then says where it ran.</summary>
    public static string NodeTogether(string barrier, int parties) => Together(barrier, parties).NodeId;

    public static int[] Gpus() => [.. TaskContext.Current!.GpuIds];

    /// <summary>The GPU ids of a task that ran while <paramref name="parties"/> of these held theirs.</summary>
    public static int[] GpusTogether(string barrier, int parties) => [.. Together(barrier, parties).GpuIds];

    public static int Identity(int value) => value;

    /// <summary>Records this execution in the ledger (and holds if the test asked tasks on this node to), then says which run it was.</summary>
    public static ExecutionLedger.Execution Recorded(int index, string ledger) => ExecutionLedger.Record(ledger, index);

    [SpreadPlacement]
    public static string SpreadNodeTogether(string barrier, int parties) => Together(barrier, parties).NodeId;

    private static TaskContext Together(string barrier, int parties)
    {
        var context = TaskContext.Current!;
        TaskBarrier.Reach(barrier, parties, $"{context.TaskId}@{context.NodeId}");
        return context;
    }
}

[SpreadPlacement]
public sealed class SpreadActor
{
    public string Node() => TaskContext.Current!.NodeId;
}

/// <summary>A user's own exception with the usual constructors: callers can catch it as itself.</summary>
public sealed class QuotaExceededError : Exception
{
    public QuotaExceededError()
    {
    }

    public QuotaExceededError(string message) : base(message)
    {
    }

    public QuotaExceededError(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>An exception Granary cannot rebuild (no message-and-inner constructor): it stays a RemoteTaskException.</summary>
public sealed class OpaqueError : Exception
{
    public OpaqueError() : base("opaque failure")
    {
    }
}
