using Microsoft.Extensions.Logging;

namespace Granary.Client.Tests;

/// <summary>Tasks and an actor that write to Console and TaskContext.Logger, and read the job's environment.</summary>
public static class LogJobs
{
    /// <summary>Writes a line to Console.Out, a line to the logger, and a last line to Console.Error without its newline.</summary>
    public static bool Say(string marker)
    {
        Console.WriteLine($"out {marker}");
        TaskContext.Current!.Logger.LogWarning("logged {Marker}", marker);
        Console.Error.Write($"err {marker}");
        Console.Error.Write(" end");

        // Whether this task's lines are routed to its client at all (its job's LogToDriver).
        return TaskContext.Current.Output is not null;
    }

    /// <summary>What the task sees of two variables, through its context and through the process's environment.</summary>
    public static string[] ReadEnvironment(string variable, string secret)
    {
        var context = TaskContext.Current!;
        return [context.GetEnv(variable) ?? "-", context.GetEnv(secret) ?? "-", Environment.GetEnvironmentVariable(variable) ?? "-", Environment.GetEnvironmentVariable(secret) ?? "-"];
    }
}

public sealed class Talker
{
    public Talker(string marker) => Console.WriteLine($"born {marker}");

    public int Talk(string marker)
    {
        Console.WriteLine($"actor {marker}");
        return 1;
    }
}
