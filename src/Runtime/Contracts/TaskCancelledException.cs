namespace Granary;

/// <summary>
/// The task was cancelled (GranaryClient.CancelAsync) before it finished: getting its ref
/// throws this, and tasks that take the ref as an argument fail with it as their cause. Never retried.
/// </summary>
public sealed class TaskCancelledException : GranaryException
{
    public TaskCancelledException(string taskId, string taskName, string? message = null, Exception? innerException = null)
        : base(message ?? $"Task {taskName} ({taskId}) was cancelled.", innerException)
    {
        TaskId = taskId;
        TaskName = taskName;
    }

    /// <summary>The cancelled task's id (its ref's id); empty when the failure was rebuilt from another process's report, whose message names it.</summary>
    public string TaskId { get; }

    /// <summary>The task's name (RemoteOptions.Name, else its method).</summary>
    public string TaskName { get; }
}
