namespace Granary.Client.Tests;

/// <summary>Tasks and an actor that submit work of their own from inside the cluster (TaskContext.Client).</summary>
public static class NestedJobs
{
    private static GranaryClient Cluster => TaskContext.Current!.Client;

    public static int Square(int x) => x * x;

    /// <summary>Submits one task per number and returns the sum of their results.</summary>
    public static async Task<int> SumOfSquares(int count)
    {
        var refs = Cluster.Map(Enumerable.Range(1, count), i => Square(i));
        var values = await Cluster.GetAllAsync(refs, CancellationToken.None);
        return values.Sum();
    }

    /// <summary>Where the outer task and its child ran, and whether the client was an in-cluster one.</summary>
    public static async Task<string[]> Where()
    {
        var child = await Cluster.Remote(() => ProcessId());
        return [Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), child.ToString(System.Globalization.CultureInfo.InvariantCulture), Cluster.IsInCluster.ToString()];
    }

    public static int ProcessId() => Environment.ProcessId;

    /// <summary>Puts a value from inside, passes the ref to a child task, and reads both back.</summary>
    public static async Task<int> PutThenGet(int size)
    {
        var data = Cluster.Put(Enumerable.Range(0, size).ToArray());

        // As Ray's put in a worker: the value is in this node's store (or inline) when Put returns.
        if (!data.Entry.IsCompleted || (data.Entry.Location is { } stored && stored.NodeId != TaskContext.Current!.NodeId))
        {
            return -2;
        }
        var total = await Cluster.Remote(() => Total(data));
        var back = await Cluster.GetAsync(data, CancellationToken.None);
        return total == back.Sum(v => (long)v) ? back.Length : -1;
    }

    public static long Total(int[] values) => values.Sum(v => (long)v);

    public static void Fail(string message) => throw new InvalidOperationException(message);

    /// <summary>Awaits a failing child and lets its exception escape.</summary>
    public static async Task<int> AwaitFailingChild(string message)
    {
        await Cluster.Remote(() => Fail(message));
        return 0;
    }

    /// <summary>Awaits a failing child and wraps its exception in one of its own.</summary>
    public static async Task<int> WrapFailingChild(string message)
    {
        try
        {
            await Cluster.Remote(() => Fail(message));
            return 0;
        }
        catch (Exception ex)
        {
            throw new ArgumentException("the child failed", ex);
        }
    }

    /// <summary>Returns refs to work it submitted: one finished, one still running when it returns.</summary>
    public static async Task<List<ObjectRef<int[]>>> SubmitAndReturn(int size)
    {
        var done = Cluster.Remote(() => Range(size));
        await done;
        var running = Cluster.Remote(() => RangeLater(size, 300));
        return [done, running];
    }

    public static int[] Range(int size) => Enumerable.Range(0, size).ToArray();

    public static async Task<int[]> RangeLater(int size, int delayMs)
    {
        await Task.Delay(delayMs);
        return Range(size);
    }

    /// <summary>Creates an actor, calls it three times, and returns its total.</summary>
    public static async Task<int> CountWithActor(int start)
    {
        var counter = await Cluster.CreateActorAsync(() => new Counter(start));
        await counter.Call(c => c.Add(1));
        await counter.Call(c => c.Add(2));
        var total = await counter.Call(c => c.Add(3));
        await counter.KillAsync();
        return total;
    }
}

/// <summary>An actor whose method submits a task through its own in-cluster client.</summary>
public sealed class Delegator
{
    public async Task<int> SquareRemotely(int x) => await TaskContext.Current!.Client.Remote(() => NestedJobs.Square(x));
}
