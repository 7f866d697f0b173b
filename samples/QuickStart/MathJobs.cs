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

    /// <summary>
    /// Holds a CPU until <paramref name="count"/> tasks have checked in at <paramref name="meetingPoint"/>
    /// (a folder; at most 10 s), then says which node it ran on. So the tasks surely run at the same time
    /// and the scheduler has to place them side by side, instead of one lease running them in turn. Every
    /// silo on one machine sees the folder; across machines the tasks wait out the 10 s, which overlaps them too.
    /// </summary>
    public static string HoldUntilAllStarted(string meetingPoint, int count)
    {
        var node = TaskContext.Current?.NodeId ?? "?";
        File.WriteAllText(Path.Combine(meetingPoint, Guid.NewGuid().ToString("N")), node);
        var until = Environment.TickCount64 + 10_000;
        while (Directory.GetFiles(meetingPoint).Length < count && Environment.TickCount64 < until)
        {
            Thread.Sleep(10);
        }

        return node;
    }

    public static async Task<string> Greet(string name)
    {
        await Task.Delay(10);
        return $"hello {name} from {TaskContext.Current?.NodeId}";
    }
}
