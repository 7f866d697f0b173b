namespace Granary.Silo.Tests;

/// <summary>Tasks for the log and runtime-environment process tests; the client ships this assembly to the silos.</summary>
public static class LogProcessJobs
{
    /// <summary>Writes one line to Console.Out and says which process ran it.</summary>
    public static int Say(string line)
    {
        Console.WriteLine(line);
        return Environment.ProcessId;
    }

    /// <summary>A variable and a secret as the task sees them: through its context, and through the process's environment.</summary>
    public static string[] ReadEnvironment(string variable, string secret)
    {
        var context = TaskContext.Current!;
        return [context.GetEnv(variable) ?? "-", context.GetEnv(secret) ?? "-", Environment.GetEnvironmentVariable(variable) ?? "-", Environment.GetEnvironmentVariable(secret) ?? "-"];
    }
}
