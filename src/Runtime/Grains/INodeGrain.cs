using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;
using Orleans.Serialization.Buffers;

namespace Granary.Runtime.Grains;

/// <summary>
/// One node's execution and data plane, keyed by node id and pinned to that node's silo: it never
/// activates anywhere else, so calls to a dead node fail instead of moving. Owners push tasks here on
/// their leases, and silos, workers and clients read and write the
/// node's object store. Reentrant: every method hands work off and never blocks the activation.
/// </summary>
internal interface INodeGrain : IGrainWithStringKey
{
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReply> PushTask(PushTask push, CancellationToken cancellationToken = default);

    /// <summary>
    /// Several tasks on one lease, run in order like as many <see cref="PushTask"/> calls; answers when the
    /// last has run. Owners batch only tasks known to be short, so the first reply waits little for the last.
    /// </summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReplies> PushTasks(PushTasks push, CancellationToken cancellationToken = default);

    /// <summary>
    /// The owner is done with the lease after <paramref name="pushed"/> tasks: once that many have arrived
    /// and run, the lease goes back to the head. Orleans may deliver the release before the last pushes.
    /// </summary>
    [OneWay]
    Task ReleaseLease(string leaseId, int pushed);

    /// <summary>A stored object: whole when it fits one chunk, else only its header (read it with <see cref="ReadObjectChunk"/>).</summary>
    Task<ObjectPayload> GetObject(GetObject request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Bytes of a stored object, in pooled memory: Orleans returns the sender's buffer to its pool once sent,
    /// and the receiver owns what arrives and must <see cref="PooledBuffer.Reset"/> it when done, so a large
    /// transfer reuses warm memory instead of page-faulting a fresh array per chunk.
    /// </summary>
    Task<PooledBuffer> ReadObjectChunk(string objectId, long offset, int count, CancellationToken cancellationToken = default);

    /// <summary>Stores a value sent whole, or opens a chunked put when <see cref="PutObject.StreamedSize"/> is set.</summary>
    Task PutObject(PutObject put, CancellationToken cancellationToken = default);

    /// <summary>Bytes of an open put, in pooled memory (see <see cref="ReadObjectChunk"/>): the node resets <paramref name="data"/> once it has copied it.</summary>
    Task WriteObjectChunk(string objectId, long offset, PooledBuffer data, CancellationToken cancellationToken = default);

    /// <summary>Ends a chunked put: the object is stored only when every byte arrived.</summary>
    Task CommitObject(string objectId, CancellationToken cancellationToken = default);

    [OneWay]
    Task FreeObjects(FreeObjects request);

    Task JobEnded(string jobId, CancellationToken cancellationToken = default);

    /// <summary>A worker process this node started says it is ready to take tasks.</summary>
    Task AttachWorker(string workerId, IWorkerObserver worker, CancellationToken cancellationToken = default);

    /// <summary>
    /// The items of a streaming task that runs or ran here, from an index on: answered as soon as there is
    /// one, when the run ends, or after the request's wait with none (the owner then asks again).
    /// </summary>
    Task<StreamItems> ReadStream(ReadStream request, CancellationToken cancellationToken = default);

    /// <summary>A worker process of this node hands over the next item of a streaming task it runs.</summary>
    Task AppendStreamItem(string taskId, int index, TaskReply item, CancellationToken cancellationToken = default);

    /// <summary>
    /// The owner cancels a task it pushed: one not started never starts, a running one sees its token
    /// cancelled (or, with force, its worker process killed). Its reply is then a TASK_CANCELLED error. A
    /// cancel that arrives before its task is kept for it.
    /// </summary>
    Task CancelTask(CancelTask cancel, CancellationToken cancellationToken = default);

    /// <summary>The head takes a lease back (its placement group was removed): its tasks fail with the stop's error.</summary>
    Task StopLease(StopLease stop, CancellationToken cancellationToken = default);

    /// <summary>
    /// A worker process of this node reports a task's use of a simulated GPU (TaskContext.ReportSimulatedGpuMemoryAsync):
    /// fails with GpuOutOfMemoryException when the device has no room for it.
    /// </summary>
    Task ReportSimulatedGpuMemory(string taskId, int device, long bytes, CancellationToken cancellationToken = default);

    /// <summary>A piece of a ring collective for a rank running on this node (sent by the rank before it).</summary>
    Task DeliverPiece(CollectivePiece piece, CancellationToken cancellationToken = default);

    /// <summary>Waits for a piece delivered to a rank running on this node, up to the piece's timeout.</summary>
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<CollectivePiece> TakePiece(TakePiece take, CancellationToken cancellationToken = default);

    /// <summary>The head hands this node a submission's driver: it unpacks the files and starts the process, answering once started.</summary>
    [ResponseTimeout("00:05:00")]
    Task StartDriver(StartDriver start, CancellationToken cancellationToken = default);

    /// <summary>Kills a driver running here and its process tree; its exit is reported as usual.</summary>
    Task StopDriver(string submissionId, CancellationToken cancellationToken = default);
}
