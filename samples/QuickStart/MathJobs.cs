using Granary;

namespace QuickStart;

/// <summary>Remote functions: plain static methods.</summary>
public static class MathJobs
{
    public static int Square(int x) => x * x;

    public static int Add(int a, int b) => a + b;

    public static double Sum(double[] values) => values.Sum();

    public static double[] Ramp(int length) => Enumerable.Range(0, length).Select(i => (double)i).ToArray();

    /// <summary>Holds a CPU for a moment, then says which node it ran on.</summary>
    public static string WhereAmI(int millis)
    {
        Thread.Sleep(millis);
        return TaskContext.Current?.NodeId ?? "?";
    }

    public static async Task<string> Greet(string name)
    {
        await Task.Delay(10);
        return $"hello {name} from {TaskContext.Current?.NodeId}";
    }
}
