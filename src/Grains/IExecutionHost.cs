using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Grains;

/// <summary>What running a task needs from the process it runs in: a silo, or a silo's worker process.</summary>
internal interface IExecutionHost
{
    string NodeId { get; }

    JobCodeRegistry Jobs { get; }

    /// <summary>The jobs' in-cluster clients in this process, which tasks reach through TaskContext.</summary>
    InClusterClients Clients { get; }

    /// <summary>Ships what the jobs' tasks write to their clients (for jobs with ClientOptions.LogToDriver).</summary>
    Runtime.Logs.LogShipper Logs { get; }

    /// <summary>Where tasks here report their use of simulated GPUs (TaskContext.ReportSimulatedGpuMemoryAsync).</summary>
    Runtime.Gpus.IGpuMemoryReporter GpuMemory { get; }

    /// <summary>Values up to this size put by a task travel inside their refs; larger ones are stored.</summary>
    int InlineThresholdBytes { get; }

    /// <summary>Gets an object's value, in wire form, from wherever it is stored.</summary>
    ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken);

    /// <summary>Gets an object from wherever it is stored, as <paramref name="type"/> (a raw array decoded as it arrives).</summary>
    ValueTask<object?> FetchArgumentAsync(ObjectLocation location, Type? type, ValueSerializer serializer, CancellationToken cancellationToken);

    /// <summary>
    /// Turns a result into a reply: inline, or kept in a store under <paramref name="objectId"/> (the task's id,
    /// or a part's id for a task with several returns) and named by location.
    /// </summary>
    TaskReply Completed(string objectId, string jobId, Value value);

    /// <summary>The same for a result held as segments (a raw array, which may pass 2 GiB): always stored, named by location.</summary>
    TaskReply Completed(string objectId, string jobId, ValueBytes value);

    /// <summary>Hands the next item of a streaming task to the node's <see cref="TaskStreams"/> (through the silo, from a worker process).</summary>
    ValueTask StreamItemAsync(TaskSpec spec, int index, TaskReply item, CancellationToken cancellationToken);

    /// <summary>Stores a value a task put (in this silo's store, or the worker's silo's) and says where it is.</summary>
    ObjectLocation StoreObject(string objectId, string jobId, Value value);

    /// <summary>Frees an object a task put, once nothing here refers to it. Called from finalizers: only queues work.</summary>
    void FreeObject(ObjectLocation location);
}
