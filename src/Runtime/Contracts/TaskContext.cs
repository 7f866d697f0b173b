using Granary.Runtime.Objects;

namespace Granary;

/// <summary>
/// What a running task or actor call can learn about where and how it runs. <see cref="Current"/> is
/// null outside Granary work. Immutable, so thread-safe.
/// </summary>
public sealed class TaskContext
{
    private static readonly AsyncLocal<TaskContext?> _current = new();

    private readonly ITaskObjects? _objects;

    internal TaskContext(string nodeId, string jobId, string taskId, string? actorId, int attempt, IReadOnlyList<int> gpuIds, ITaskObjects? objects = null, IClusterAccess? cluster = null)
    {
        _objects = objects;
        Cluster = cluster;
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

    /// <summary>The job's objects in this process (what Put stores into, and what owns refs submitted from here).</summary>
    internal ITaskObjects? Objects => _objects;

    /// <summary>The process's way into the cluster, behind the in-cluster client (Granary.Client's <c>TaskContext.Client</c>).</summary>
    internal IClusterAccess? Cluster { get; }

    /// <summary>
    /// Ray's put inside a task: stores a value on this node and returns a ref to it, which the task may
    /// return (alone or inside its result) or keep. A value of at most 100 KiB travels inside the ref; a
    /// larger one stays in this node's object store. The node owns the object until the task returns a
    /// value holding the ref; then the caller owns it and frees it when it drops the ref. A ref the task
    /// neither returns nor keeps is freed once collected here. In a worker process (Isolation.Process) a
    /// large value is uploaded to the worker's silo before Put returns.
    /// </summary>
    public ObjectRef<T> Put<T>(T value)
    {
        var objects = _objects ?? throw new InvalidOperationException("This task context cannot store objects.");
        return new ObjectRef<T>(objects.Put(value, typeof(T)));
    }
}
