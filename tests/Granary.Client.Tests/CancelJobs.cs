namespace Granary.Client.Tests;

/// <summary>
/// Tasks for the cancellation tests. They mark what they did as files in a folder the test passes (job code
/// runs in its own load context, and isolated tasks in another process, so statics cannot carry it):
/// "WHO.started.UNIQUE" once per run, "WHO.cancelled" when the token was seen cancelled.
/// </summary>
public static class CancelJobs
{
    /// <summary>Far longer than any test waits: a task that ends this way was not cancelled.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task<int> WaitForCancel(string folder, string who, CancellationToken cancellationToken)
    {
        Started(folder, who);
        try
        {
            // Until cancelled, or until the test lets it finish (see Release), or the patience runs out.
            var until = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
            while (!File.Exists(Path.Combine(folder, who + ".release")) && Environment.TickCount64 < until)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            File.WriteAllText(Path.Combine(folder, who + ".cancelled"), string.Empty);
            throw;
        }

        return -1;
    }

    /// <summary>Never looks at its token; blocks its thread until the test's patience runs out.</summary>
    public static int IgnoreToken(string folder, string who, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        Started(folder, who);
        var until = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (Environment.TickCount64 < until)
        {
            Thread.Sleep(10);
        }

        return Environment.ProcessId;
    }

    /// <summary>Submits <c>WHO-child</c> (which waits for its cancel) from inside the cluster and waits for it.</summary>
    public static async Task<int> Parent(string folder, string who, CancellationToken cancellationToken)
    {
        var child = TaskContext.Current!.Client.Remote(() => WaitForCancel(folder, who + "-child", CancellationToken.None));
        Started(folder, who);
        try
        {
            await child.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            File.WriteAllText(Path.Combine(folder, who + ".cancelled"), string.Empty);
            throw;
        }

        return 1;
    }

    public static int Run(string folder, string who)
    {
        Started(folder, who);
        return 1;
    }

    public static int Add(int a, int b) => a + b;

    public static int Pid() => Environment.ProcessId;

    private static void Started(string folder, string who) =>
        File.WriteAllText(Path.Combine(folder, $"{who}.started.{Environment.ProcessId}.{Guid.NewGuid():N}"), string.Empty);

    /// <summary>Test side: how many times <paramref name="who"/> started.</summary>
    public static int Starts(string folder, string who) => Directory.GetFiles(folder, who + ".started.*").Length;

    /// <summary>Test side: the process the first run of <paramref name="who"/> started in.</summary>
    public static int StartedPid(string folder, string who) =>
        int.Parse(Path.GetFileName(Directory.GetFiles(folder, who + ".started.*")[0]).Split('.')[2], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Test side: lets a waiting <paramref name="who"/> finish without a cancel.</summary>
    public static void Release(string folder, string who) => File.WriteAllText(Path.Combine(folder, who + ".release"), string.Empty);

    public static bool SawCancel(string folder, string who) => File.Exists(Path.Combine(folder, who + ".cancelled"));
}
