namespace Granary.Benchmarks;

/// <summary>The remote functions and actors the rows call: no-ops, so the figures measure Granary itself.</summary>
public static class Workloads
{
    public static int Noop() => 0;

    /// <summary>A task that submits <paramref name="n"/> no-op tasks from inside the cluster and awaits them all.</summary>
    public static async Task<int> SubmitNoops(int n)
    {
        var cluster = (TaskContext.Current ?? throw new InvalidOperationException("SubmitNoops runs as a remote task only.")).Client;
        var refs = new List<ObjectRef<int>>(n);
        for (var i = 0; i < n; i++)
        {
            refs.Add(cluster.Remote(() => Noop()));
        }

        return (await cluster.GetAllAsync(refs, CancellationToken.None)).Length;
    }

    /// <summary>Waits until cancelled (the row cancels it), at most a minute.</summary>
    public static async Task<int> WaitForCancel(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
        return 0;
    }

    /// <summary>A task given an actor handle as an argument calls the actor once through it.</summary>
    public static async Task<int> PingThrough(ActorHandle<Pinger> pinger) => await pinger.Call(p => p.Ping());

    /// <summary>
    /// Ray's create_object_containing_ref: a remote task puts 10,000 small objects on its node and returns
    /// the list of refs, so the caller gets refs it did not create.
    /// </summary>
    public static List<ObjectRef<int>> ContainingRefs()
    {
        var context = TaskContext.Current ?? throw new InvalidOperationException("ContainingRefs runs as a remote task only.");
        var refs = new List<ObjectRef<int>>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            refs.Add(context.Put(1));
        }

        return refs;
    }
}
