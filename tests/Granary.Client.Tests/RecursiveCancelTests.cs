namespace Granary.Client.Tests;

/// <summary>Ray's recursive cancel: cancelling a task cancels the tasks it submitted from inside the cluster. One node, two CPUs: a parent and its child.</summary>
public sealed class RecursiveCancelTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "granary-rcancel-" + Guid.NewGuid().ToString("N")[..12]);
    private GranaryClient _client = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 2 }).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync().WithTimeout();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Cancelling_a_task_cancels_the_tasks_it_submitted()
    {
        var folder = _folder;
        var parent = _client.Remote(() => CancelJobs.Parent(folder, "p", CancellationToken.None));
        await Eventually.HoldsAsync(() => CancelJobs.Starts(folder, "p-child") > 0, Bound, "the child task runs");

        await _client.CancelAsync(parent).WithTimeout();

        await Assert.ThrowsAsync<TaskCancelledException>(async () => await parent.WithTimeout());
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "p-child"), Bound, "the child sees its token cancelled");
    }

    [Fact]
    public async Task Without_recursive_the_tasks_it_submitted_run_on()
    {
        var folder = _folder;
        var parent = _client.Remote(() => CancelJobs.Parent(folder, "q", CancellationToken.None));
        await Eventually.HoldsAsync(() => CancelJobs.Starts(folder, "q-child") > 0, Bound, "the child task runs");

        await _client.CancelAsync(parent, recursive: false).WithTimeout();

        await Assert.ThrowsAsync<TaskCancelledException>(async () => await parent.WithTimeout());
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "q"), Bound, "the parent saw its own token cancelled");

        // The parent has stopped; its child, not cancelled, still waits (it would have marked a cancel by now).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(CancelJobs.SawCancel(folder, "q-child"));
        CancelJobs.Release(folder, "q-child");
    }
}
