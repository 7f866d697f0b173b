namespace Granary.Testing;

/// <summary>
/// A rendezvous for tasks that must run at the same time. Each task marks its arrival in a folder on this
/// machine (the embedded cluster's silos and silo processes alike run here, and a folder is shared by both
/// and by every job load context) and blocks until the given number of tasks have arrived. A test that
/// asserts on placement or overlap thus asserts only once the tasks really ran together, rather than
/// hoping a sleep was long enough for them to. Bounded: a task that waits too long throws, naming who came,
/// which fails its ref (a broken placement or a lease that serializes the tasks shows up that way).
/// </summary>
public sealed class TaskBarrier : IDisposable
{
    /// <summary>Below <see cref="Bounded.Default"/>, so the task's own explanation arrives before the test's timeout.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public TaskBarrier()
    {
        Folder = Path.Combine(Path.GetTempPath(), "granary-barrier-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Pass this to the tasks.</summary>
    public string Folder { get; }

    /// <summary>Task side: marks this task's arrival as <paramref name="who"/>, then waits until <paramref name="parties"/> have arrived.</summary>
    public static void Reach(string folder, int parties, string who)
    {
        File.WriteAllText(Path.Combine(folder, $"{who}.{Guid.NewGuid():N}"), string.Empty);
        var until = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        string[] arrived;
        while ((arrived = Directory.GetFiles(folder)).Length < parties)
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException(
                    $"{who}: only {arrived.Length} of {parties} tasks were running at once after {Bound.TotalSeconds:0} s ({string.Join(", ", arrived.Select(f => Path.GetFileNameWithoutExtension(f)))})");
            }

            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A task still writing its mark; the folder is in the temp directory.
        }
    }
}
