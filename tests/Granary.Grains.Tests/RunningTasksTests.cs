using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

/// <summary>Cancels reach tasks that run, and tasks that start after their cancel arrived (Orleans does not order calls).</summary>
public sealed class RunningTasksTests
{
    [Fact]
    public void A_cancel_that_comes_before_its_task_cancels_it_when_it_starts()
    {
        var tasks = new RunningTasks();
        Assert.False(tasks.Cancel("t-1", force: false, recursive: true));

        using var started = tasks.Start("t-1", CancellationToken.None);
        Assert.True(started.Cancelled);
        Assert.True(started.Recursive);
        using var other = tasks.Start("t-2", CancellationToken.None);
        Assert.False(other.Cancelled);
    }

    [Fact]
    public async Task A_running_task_sees_its_token_cancelled_and_replies_cancelled()
    {
        var tasks = new RunningTasks();
        using var running = tasks.Start("t-1", CancellationToken.None);
        Assert.True(tasks.Cancel("t-1", force: true, recursive: false));
        await Task.Delay(Timeout.Infinite, running.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(running.ForceRequested.IsCancellationRequested);

        var spec = new TaskSpec { TaskId = "t-1", Method = new MethodRef { DisplayName = "Jobs.Slow" } };
        var reply = running.Outcome(new TaskReply { Error = new ErrorInfo { Kind = ErrorKind.User } }, spec, "n-1");
        Assert.Equal(ErrorKind.TaskCancelled, reply.Error.Kind);
        Assert.Contains("t-1", reply.Error.Message);
    }
}
