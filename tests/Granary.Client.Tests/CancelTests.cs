using System.Diagnostics;

namespace Granary.Client.Tests;

/// <summary>GranaryClient.CancelAsync: queued, running, isolated (force), finished, dependants, retries. One node with one CPU, so tasks queue.</summary>
public sealed class CancelTests() : CancelJobsCluster(cpus: 1, folderPrefix: "cancel")
{
    [Fact]
    public async Task A_task_queued_on_the_client_never_runs()
    {
        var folder = Folder;
        var blocker = Client.Remote(() => CancelJobs.WaitForCancel(folder, "blocker", CancellationToken.None));
        await StartedAsync("blocker");

        // The only CPU is taken: this one waits on the client for a lease.
        var queued = Client.Remote(() => CancelJobs.Run(folder, "queued"));
        await Client.CancelAsync(queued).WithTimeout();
        var error = await Assert.ThrowsAsync<TaskCancelledException>(async () => await queued.WithTimeout());
        Assert.Equal(queued.Id, error.TaskId);

        await Client.CancelAsync(blocker).WithTimeout();
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await blocker.WithTimeout());

        // A task submitted after the cancelled one runs, so the queue has moved past it.
        Assert.Equal(1, await Client.Remote(() => CancelJobs.Run(folder, "after")).WithTimeout());
        Assert.Equal(0, CancelJobs.Starts(folder, "queued"));
    }

    [Fact]
    public async Task A_running_task_sees_its_token_cancelled()
    {
        var folder = Folder;
        var running = Client.Remote(() => CancelJobs.WaitForCancel(folder, "running", CancellationToken.None));
        await StartedAsync("running");

        await Client.CancelAsync(running).WithTimeout();
        var error = await Assert.ThrowsAsync<TaskCancelledException>(async () => await running.WithTimeout());
        Assert.Contains("WaitForCancel", error.TaskName);
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "running"), Bound, "the task's CancellationToken parameter was cancelled");
    }

    [Fact]
    public async Task Force_kills_the_worker_of_an_isolated_task_that_ignores_its_token()
    {
        var folder = Folder;
        var isolated = new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 3 };
        var stubborn = Client.Remote(() => CancelJobs.IgnoreToken(folder, "stubborn", CancellationToken.None), isolated);
        await StartedAsync("stubborn");
        var pid = CancelJobs.StartedPid(folder, "stubborn");
        Assert.NotEqual(Environment.ProcessId, pid);

        await Client.CancelAsync(stubborn, force: true).WithTimeout();
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await stubborn.WithTimeout());
        await Eventually.HoldsAsync(() => HasExited(pid), Bound, $"worker process {pid} was killed");

        // The pool replaces the worker, and the killed task was not retried despite its MaxRetries.
        var next = await Client.Remote(() => CancelJobs.Pid(), isolated).WithTimeout();
        Assert.NotEqual(pid, next);
        Assert.NotEqual(Environment.ProcessId, next);
        Assert.Equal(1, CancelJobs.Starts(folder, "stubborn"));
    }

    [Fact]
    public async Task Force_on_a_task_in_the_silo_process_names_process_isolation()
    {
        var folder = Folder;
        var running = Client.Remote(() => CancelJobs.WaitForCancel(folder, "inproc", CancellationToken.None));
        await StartedAsync("inproc");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Client.CancelAsync(running, force: true).WithTimeout());
        Assert.Contains("Isolation.Process", error.Message);

        // Refused, so nothing was cancelled: the plain cancel still reaches the task.
        await Client.CancelAsync(running).WithTimeout();
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "inproc"), Bound, "the task's token was cancelled");
    }

    [Fact]
    public async Task Cancelling_a_finished_task_keeps_its_value()
    {
        var sum = Client.Remote(() => CancelJobs.Add(1, 2));
        Assert.Equal(3, await sum.WithTimeout());
        await Client.CancelAsync(sum).WithTimeout();
        await Client.CancelAsync(sum, force: true).WithTimeout();
        Assert.Equal(3, await sum.WithTimeout());
    }

    [Fact]
    public async Task Dependants_of_a_cancelled_task_fail_with_it_as_the_cause()
    {
        var folder = Folder;
        var first = Client.Remote(() => CancelJobs.WaitForCancel(folder, "first", CancellationToken.None));
        var second = Client.Remote(() => CancelJobs.Add(first, 1));
        await StartedAsync("first");

        await Client.CancelAsync(first).WithTimeout();
        var error = await Assert.ThrowsAnyAsync<GranaryException>(async () => await second.WithTimeout());
        var cause = Assert.IsType<TaskCancelledException>(error.InnerException);
        Assert.Equal(first.Id, cause.TaskId);
    }

    [Fact]
    public async Task A_cancelled_task_is_not_retried()
    {
        var folder = Folder;
        var retrying = new RemoteOptions { MaxRetries = 3, RetryExceptions = true };
        var task = Client.Remote(() => CancelJobs.WaitForCancel(folder, "retried", CancellationToken.None), retrying);
        await StartedAsync("retried");

        await Client.CancelAsync(task).WithTimeout();
        await Assert.ThrowsAsync<TaskCancelledException>(async () => await task.WithTimeout());
        await Eventually.HoldsAsync(() => CancelJobs.SawCancel(folder, "retried"), Bound, "the task saw its cancel");

        // Same shape, so it queues behind any retry of the cancelled task: once it ran, a retry would have too.
        Assert.Equal(1, await Client.Remote(() => CancelJobs.Run(folder, "later"), retrying).WithTimeout());
        Assert.Equal(1, CancelJobs.Starts(folder, "retried"));
    }

    [Fact]
    public async Task Actor_calls_cannot_be_cancelled_and_say_what_to_do()
    {
        var counter = await Client.CreateActorAsync(() => new Counter(0), new ActorOptions { Cpus = 0 }).WithTimeout();
        var folder = Folder;
        var blocker = Client.Remote(() => CancelJobs.WaitForCancel(folder, "actor-blocker", CancellationToken.None));

        // Waits for its argument, so it is surely still pending when cancelled.
        var call = counter.Call(c => c.Add(blocker));
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => Client.CancelAsync(call).WithTimeout());
        Assert.Contains("KillActorAsync", error.Message);

        await Client.CancelAsync(blocker).WithTimeout();
        await Assert.ThrowsAnyAsync<GranaryException>(async () => await call.WithTimeout());
    }

    private Task StartedAsync(string who) =>
        Eventually.HoldsAsync(() => CancelJobs.Starts(Folder, who) > 0, Bound, $"{who} started");

    private static bool HasExited(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
