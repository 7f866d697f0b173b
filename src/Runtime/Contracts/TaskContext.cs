namespace Granary;

/// <summary>
/// What a running task or actor call can learn about where and how it runs. <see cref="Current"/> is
/// null outside Granary work. Immutable, so thread-safe.
/// </summary>
public sealed class TaskContext
{
    private static readonly AsyncLocal<TaskContext?> _current = new();

    internal TaskContext(string nodeId, string jobId, string taskId, string? actorId, int attempt, IReadOnlyList<int> gpuIds)
    {
        NodeId = nodeId;
        JobId = jobId;
        TaskId = taskId;
        ActorId = actorId;
        Attempt = attempt;
        GpuIds = gpuIds;
    }

    /// <summary>The context of the task or actor call running on this async flow.</summary>
    public static TaskContext? Current
    {
        get => _current.Value;
        internal set => _current.Value = value;
    }

    public string NodeId { get; }

    public string JobId { get; }

    public string TaskId { get; }

    /// <summary>The actor's id when this is an actor call.</summary>
    public string? ActorId { get; }

    /// <summary>0 for the first try, 1 for the first retry, and so on.</summary>
    public int Attempt { get; }

    /// <summary>The GPU device indexes assigned to this work (empty when it asked for none).</summary>
    public IReadOnlyList<int> GpuIds { get; }
}
