using Granary.Runtime.Logs;
using Granary.Runtime.Objects;
using Microsoft.Extensions.Logging;

namespace Granary;

/// <summary>
/// What a running task or actor call can learn about where and how it runs. <see cref="Current"/> is
/// null outside Granary work. Immutable, so thread-safe.
/// </summary>
public sealed class TaskContext
{
    private static readonly AsyncLocal<TaskContext?> _current = new();

    private static readonly IReadOnlyDictionary<string, string> _noEnvironment = new Dictionary<string, string>();

    private readonly ITaskObjects? _objects;

    // Where this work's lines go, when its job ships them (LogToDriver); the job whose client gets them.
    private readonly LogShipper? _logs;
    private readonly string? _logJobId;
    private readonly string? _taskName;

    // Made on first use only: work that writes nothing allocates nothing for it.
    private TaskOutput? _output;
    private ILogger? _logger;

    internal TaskContext(string nodeId, string jobId, string taskId, string? actorId, int attempt, IReadOnlyList<int> gpuIds, ITaskObjects? objects = null, IClusterAccess? cluster = null)
        : this(nodeId, jobId, taskId, actorId, attempt, gpuIds, objects, cluster, environment: null, logs: null, logJobId: null, taskName: null)
    {
    }

    /// <param name="environment">The job's environment variables and secrets (ClientOptions.Environment, Secrets).</param>
    /// <param name="logs">This process's shipper when the job ships its lines to its client; null when it does not.</param>
    /// <param name="logJobId">The job whose client gets the lines: the task's, or for an actor call the actor's owner.</param>
    /// <param name="taskName">The name lines are prefixed with on the client.</param>
    internal TaskContext(string nodeId, string jobId, string taskId, string? actorId, int attempt, IReadOnlyList<int> gpuIds, ITaskObjects? objects, IClusterAccess? cluster, IReadOnlyDictionary<string, string>? environment, LogShipper? logs, string? logJobId, string? taskName)
    {
        _objects = objects;
        _logs = logs;
        _logJobId = logJobId ?? jobId;
        _taskName = taskName;
        Environment = environment ?? _noEnvironment;
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

    /// <summary>
    /// The GPU device indexes assigned to this work, as the node numbers its devices (NVML's index, as
    /// nvidia-smi shows it); empty when it asked for none. On a node started with CUDA_VISIBLE_DEVICES=2,3
    /// its first GPU is 2 here, not 0. A worker process's CUDA_VISIBLE_DEVICES holds these indexes, so CUDA
    /// numbers them from 0 there; in the silo's process CUDA numbers them through the silo's own
    /// CUDA_VISIBLE_DEVICES (Granary.TorchSharp's <c>TorchDevice()</c> does the mapping in both).
    /// </summary>
    public IReadOnlyList<int> GpuIds { get; }

    /// <summary>
    /// The job's runtime environment: its <c>ClientOptions.Environment</c> and <c>ClientOptions.Secrets</c>
    /// together (a secret wins over a variable of the same name). Read them here in a task that runs in a
    /// silo: the silo's process is shared by every job, so its own environment does not hold them. In a
    /// worker process (<c>Isolation.Process</c>, GPU tasks) they are in the process's environment too.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>One variable of <see cref="Environment"/>, else the process's own; null when neither has it.</summary>
    public string? GetEnv(string name) => Environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name);

    /// <summary>
    /// A logger for this task or actor call. Its lines go where the work's Console lines go: back to the
    /// client that submitted it (prefixed with node and task, <c>ClientOptions.LogToDriver</c>), or to the
    /// node's own output when the job ships nothing.
    /// </summary>
    public ILogger Logger => _logger ?? Interlocked.CompareExchange(ref _logger, new TaskLogger(this), null) ?? _logger;

    /// <summary>Where this work's Console and logger lines go; null when its job does not ship them.</summary>
    internal TaskOutput? Output => _logs is null ? null : _output ?? Interlocked.CompareExchange(ref _output, new TaskOutput(_logs, _logJobId!, TaskId, _taskName ?? TaskId, ActorId), null) ?? _output;

    /// <summary>The work ended: a last line without its newline is shipped too.</summary>
    internal void EndOutput() => Volatile.Read(ref _output)?.Flush();

    /// <summary>Where <see cref="ReportSimulatedGpuMemoryAsync"/> reports; null where no node is behind this context.</summary>
    internal Runtime.Gpus.IGpuMemoryReporter? GpuMemoryReporter { get; init; }

    /// <summary>
    /// For simulated GPUs (silos started with <c>--gpus N</c> where NVML finds none): says how much of its
    /// GPU's memory this task uses now, in bytes (an absolute figure: report 0 to free it all). The node keeps
    /// each task's peak, which is what profiling measures (<see cref="GpuMemory.Profiled"/>), and frees the
    /// task's use when it ends. Throws <see cref="GpuOutOfMemoryException"/> when the device has no room for
    /// it, as CUDA refuses an allocation; the previous figure then stays. On real GPUs it does nothing (NVML
    /// measures them), so the same code runs on both. Throws <see cref="InvalidOperationException"/> when the
    /// task was given no GPU.
    /// </summary>
    public ValueTask ReportSimulatedGpuMemoryAsync(long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (GpuIds.Count == 0)
        {
            throw new InvalidOperationException($"Task {TaskId} was given no GPU, so it has no GPU memory to report: submit it with RemoteOptions.GpuMemory (or Gpus).");
        }

        return GpuMemoryReporter?.ReportAsync(TaskId, GpuIds[0], bytes, cancellationToken) ?? ValueTask.CompletedTask;
    }

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
