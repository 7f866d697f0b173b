using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>
/// One task from the moment its runner picks it up until it has stopped: the token its method sees (a
/// <see cref="CancellationToken"/> parameter), and whether its owner cancelled it. A runner that can do
/// more than cancel a token (a worker pool that kills the process on force) listens on
/// <see cref="CancelRequested"/> and <see cref="ForceRequested"/>. Thread-safe.
/// </summary>
internal sealed class RunningTask : IDisposable
{
    private readonly RunningTasks _owner;
    private readonly CancellationTokenSource _cancel = new();
    private readonly CancellationTokenSource _force = new();
    private readonly CancellationTokenSource _token;
    private int _cancelled;
    private int _recursive;

    public RunningTask(string taskId, RunningTasks owner, CancellationToken stopping)
    {
        TaskId = taskId;
        _owner = owner;
        _token = CancellationTokenSource.CreateLinkedTokenSource(stopping, _cancel.Token);
    }

    public string TaskId { get; }

    /// <summary>What the task's method gets: cancelled when the owner cancels it or the process stops.</summary>
    public CancellationToken Token => _token.Token;

    /// <summary>Cancelled when the owner cancels the task, force or not.</summary>
    public CancellationToken CancelRequested => _cancel.Token;

    /// <summary>Cancelled when the owner asks to kill the task's process (force).</summary>
    public CancellationToken ForceRequested => _force.Token;

    public bool Cancelled => Volatile.Read(ref _cancelled) != 0;

    /// <summary>
    /// The owner asked to cancel what this task submitted too (Ray's recursive, the default). The hook for
    /// tasks that submit tasks: whoever tracks a task's children cancels them on <see cref="CancelRequested"/>
    /// when this is set.
    /// </summary>
    public bool Recursive => Volatile.Read(ref _recursive) != 0;

    public void Cancel(bool force, bool recursive)
    {
        if (recursive)
        {
            Volatile.Write(ref _recursive, 1);
        }

        Volatile.Write(ref _cancelled, 1);

        // Off the caller's thread: the callbacks are the user's (token registrations) or kill a process,
        // and the caller is a grain call that should answer at once.
        _ = _cancel.CancelAsync();
        if (force)
        {
            _ = _force.CancelAsync();
        }
    }

    /// <summary>The reply to send: a cancelled task fails as TASK_CANCELLED whatever error stopping it caused (a killed worker, a cancelled token).</summary>
    public TaskReply Outcome(TaskReply reply, TaskSpec spec, string nodeId) =>
        Cancelled && reply.ResultCase is TaskReply.ResultOneofCase.Error or TaskReply.ResultOneofCase.None ? CancelledReply(spec, nodeId) : reply;

    public static TaskReply CancelledReply(TaskSpec spec, string nodeId)
    {
        var name = TaskExecutor.TaskName(spec);
        return new TaskReply { NodeId = nodeId, Error = ErrorConverter.FromException(new TaskCancelledException(spec.TaskId, name), nodeId, name) };
    }

    public void Dispose()
    {
        _owner.Finished(this);
        _token.Dispose();
        _cancel.Dispose();
        _force.Dispose();
    }
}
