namespace Granary.Client.Tests;

/// <summary>Ray's recursive cancel: cancelling a task cancels the tasks it submitted from inside the cluster. One node, two CPUs: a parent and its child.</summary>
public sealed class RecursiveCancelTests() : CancelJobsCluster(cpus: 2, folderPrefix: "rcancel")
{
    [Fact]
    public async Task Cancelling_a_task_cancels_the_tasks_it_submitted()
    {
        var folder = Folder;
        var parent = Client.Remote(() => CancelJobs.Parent(folder, "p", CancellationToken.None));
        await Eventually.HoldsAsync(() => CancelJobs.Starts(folder, "p-child") > 0, Bound, "the child task runs");

        await Client.CancelAsync(parent).WithTimeout();

        await Assert.ThrowsAsync<TaskCancelledException>(async () => await parent.WithTimeout());
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "p-child"), Bound, "the child sees its token cancelled");
    }

    [Fact]
    public async Task Without_recursive_the_tasks_it_submitted_run_on()
    {
        var folder = Folder;
        var parent = Client.Remote(() => CancelJobs.Parent(folder, "q", CancellationToken.None));
        await Eventually.HoldsAsync(() => CancelJobs.Starts(folder, "q-child") > 0, Bound, "the child task runs");

        await Client.CancelAsync(parent, recursive: false).WithTimeout();

        await Assert.ThrowsAsync<TaskCancelledException>(async () => await parent.WithTimeout());
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "q"), Bound, "the parent saw its own token cancelled");

        // The parent has stopped; its child, not cancelled, still waits (it would have marked a cancel by now).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(CancelJobs.SawCancel(folder, "q-child"));
        CancelJobs.Release(folder, "q-child");
    }
}
