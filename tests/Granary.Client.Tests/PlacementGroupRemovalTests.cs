namespace Granary.Client.Tests;

/// <summary>Removing a placement group stops its work, as in Ray: running and waiting tasks fail, and the bundle's resources come back.</summary>
public sealed class PlacementGroupRemovalTests() : CancelJobsCluster(cpus: 2, folderPrefix: "pgstop")
{
    [Fact]
    public async Task Removing_a_group_fails_its_running_and_queued_tasks_and_frees_its_resources()
    {
        var folder = Folder;
        var group = await Client.CreatePlacementGroupAsync([new ResourceBundle(1)], name: "doomed").WithTimeout();
        var inGroup = new RemoteOptions { PlacementGroup = group, MaxRetries = 3 };
        var running = Client.Remote(() => CancelJobs.WaitForCancel(folder, "running", CancellationToken.None), inGroup);
        await Eventually.HoldsAsync(() => CancelJobs.Starts(folder, "running") > 0, Bound, "the group's first task started");

        // The bundle holds one CPU, taken: this one waits for it.
        var queued = Client.Remote(() => CancelJobs.Run(folder, "queued"), inGroup);

        await Client.RemovePlacementGroupAsync(group).WithTimeout();
        var runningError = await Assert.ThrowsAsync<PlacementGroupRemovedException>(async () => await running.WithTimeout());
        Assert.Contains("doomed", runningError.Message);
        var queuedError = await Assert.ThrowsAsync<PlacementGroupRemovedException>(async () => await queued.WithTimeout());
        Assert.Contains("doomed", queuedError.Message);
        Assert.True(CancelJobs.SawCancel(folder, "running"), "the running task's token was cancelled");
        Assert.Equal(0, CancelJobs.Starts(folder, "queued"));

        // Both CPUs are free again: the bundle's went back once its task stopped.
        Assert.Equal(1, await Client.Remote(() => CancelJobs.Run(folder, "whole-node"), new RemoteOptions { Cpus = 2 }).WithTimeout());
        Assert.Equal(1, CancelJobs.Starts(folder, "running"));
    }
}
