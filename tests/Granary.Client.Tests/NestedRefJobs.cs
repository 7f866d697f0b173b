namespace Granary.Client.Tests;

/// <summary>Remote functions that take, put and return ObjectRefs held inside values.</summary>
public static class NestedRefJobs
{
    /// <summary>Gets every inner value on the silo that runs it.</summary>
    public static async Task<long> SumAll(List<ObjectRef<int>> refs)
    {
        long sum = 0;
        foreach (var reference in refs)
        {
            sum += await reference;
        }

        return sum;
    }

    /// <summary>Gets stored inner arrays on the silo that runs it (pulled from whichever store holds them).</summary>
    public static async Task<long> SumArrays(ObjectRef<int[]>[] refs)
    {
        long sum = 0;
        foreach (var reference in refs)
        {
            sum += (await reference).Sum(v => (long)v);
        }

        return sum;
    }

    public static async Task<int> FieldTotal(Bag bag) => await bag.Left + await bag.Right + bag.Extra;

    /// <summary>A ref passed where the method takes an ObjectRef arrives as a ref.</summary>
    public static async Task<int> Unwrap(ObjectRef<int> reference) => await reference;

    public static List<ObjectRef<int>> PutSquares(int count) =>
        [.. Enumerable.Range(0, count).Select(i => TaskContext.Current!.Put(i * i))];

    /// <summary>Puts arrays too large to travel inline, so they are stored on this node, and returns their refs.</summary>
    public static ObjectRef<int[]>[] PutArrays(int count, int length) =>
        [.. Enumerable.Range(0, count).Select(i => TaskContext.Current!.Put(Enumerable.Repeat(i, length).ToArray()))];

    /// <summary>Puts a large array and a small list that holds it, and returns only the list's ref.</summary>
    public static ObjectRef<ObjectRef<int[]>[]> PutNested(int length)
    {
        var context = TaskContext.Current!;
        var inner = context.Put(Enumerable.Repeat(7, length).ToArray());
        return context.Put(new[] { inner });
    }

    /// <summary>Puts a large array and drops the ref: the node frees it on its own.</summary>
    public static int PutAndDrop(int length)
    {
        _ = TaskContext.Current!.Put(new int[length]);
        return length;
    }

    public static List<ObjectRef<int>> Echo(List<ObjectRef<int>> refs) => refs;

    public static int Count(List<ObjectRef<int>> refs) => refs.Count;
}

/// <summary>An actor that takes refs inside a value and returns refs it put.</summary>
public sealed class RefActor
{
    public async Task<int> Sum(int[] ignored, List<ObjectRef<int>> refs)
    {
        var sum = ignored.Length;
        foreach (var reference in refs)
        {
            sum += await reference;
        }

        return sum;
    }

    public ObjectRef<int[]> PutArray(int length) => TaskContext.Current!.Put(new int[length]);
}

/// <summary>A record with ref fields and a plain one.</summary>
public sealed record Bag(ObjectRef<int> Left, ObjectRef<int> Right, int Extra);
