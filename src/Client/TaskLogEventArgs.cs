namespace Granary;

/// <summary>
/// One line a task or actor of this job wrote on a node (<see cref="GranaryClient.TaskLog"/>), or a notice
/// that a node dropped lines because its buffer was full (<see cref="DroppedLines"/> above 0).
/// </summary>
public sealed class TaskLogEventArgs(string nodeId, string taskId, string taskName, string? actorId, string text, bool isError, long droppedLines) : EventArgs
{
    /// <summary>The node the line was written on.</summary>
    public string NodeId { get; } = nodeId;

    /// <summary>The task's id (an actor call's id for actor calls); empty on a dropped-lines notice.</summary>
    public string TaskId { get; } = taskId;

    /// <summary>The task's name (RemoteOptions.Name, else the method's), or the actor method's.</summary>
    public string TaskName { get; } = taskName;

    /// <summary>The actor's id when an actor wrote the line.</summary>
    public string? ActorId { get; } = actorId;

    /// <summary>The line, without its newline.</summary>
    public string Text { get; } = text;

    /// <summary>Written to Console.Error, or logged at Warning or above.</summary>
    public bool IsError { get; } = isError;

    /// <summary>How many lines the node dropped, on a dropped-lines notice; 0 on a line.</summary>
    public long DroppedLines { get; } = droppedLines;

    /// <summary>The line as the client prints it: <c>(node-id task=Name) text</c>, with <c>actor=id</c> for an actor's.</summary>
    public override string ToString() =>
        DroppedLines > 0 ? $"({NodeId}) {Text}"
        : ActorId is null ? $"({NodeId} task={TaskName}) {Text}"
        : $"({NodeId} task={TaskName} actor={ActorId}) {Text}";
}
