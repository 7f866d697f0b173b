namespace Granary.Benchmarks;

/// <summary>The remote functions and actors the rows call: no-ops, so the figures measure Granary itself.</summary>
public static class Workloads
{
    public static int Noop() => 0;

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
