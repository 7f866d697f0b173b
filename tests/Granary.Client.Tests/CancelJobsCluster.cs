namespace Granary.Client.Tests;

/// <summary>
/// What the tests of <see cref="CancelJobs"/> stand on: a cluster of one worker silo, started for each test,
/// and a folder where the jobs mark what they did (started, saw a cancel).
/// </summary>
public abstract class CancelJobsCluster(int cpus, string folderPrefix) : IAsyncLifetime
{
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    protected string Folder { get; } = Path.Combine(Path.GetTempPath(), $"granary-{folderPrefix}-" + Guid.NewGuid().ToString("N")[..12]);

    protected GranaryClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        Client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = cpus }).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync().WithTimeout();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed worker's file; the folder is in the temp directory.
        }
    }
}
