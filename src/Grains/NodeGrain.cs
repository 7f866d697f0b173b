using Granary.Grains.SiloPlacement;
using Granary.Grains.Hosting;
using Granary.Runtime.Grains;
using Granary.Runtime.Objects;
using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;
using Orleans.Serialization.Buffers;

namespace Granary.Grains;

/// <summary>
/// A node's grain, on that node's silo only (<see cref="NodePlacementAttribute"/>): the entry point of
/// tasks and object transfers. It holds no state of its own; the silo's
/// <see cref="SiloRuntime"/> does, so an activation collected when idle loses nothing. Reentrant: lease
/// workers and actor mailboxes order the work, not Orleans turns.
/// </summary>
[NodePlacement]
[Reentrant]
internal sealed class NodeGrain(SiloRuntime silo) : Grain, INodeGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        return key == silo.NodeId
            ? Task.CompletedTask
            : throw new NodeDiedException(key, $"Node grain {key} was placed on node {silo.NodeId}; node grains never move.");
    }

    public Task<TaskReply> PushTask(PushTask push, CancellationToken cancellationToken)
    {
        silo.Traffic.TasksArrived(1);
        if (silo.StoppedLease(push.LeaseId) is { } stopped)
        {
            return Task.FromResult(Stopped(push.Spec, stopped));
        }

        var lease = silo.LeaseFor(push.LeaseId, push.Spec.JobId, push.GpuIds);
        if (push.GpuMemory is { } grant)
        {
            // A GPU memory lease carries one task; the node measures it and tells the head (LeaseWorker).
            lease.GpuMemory ??= grant;
        }

        return lease.Enqueue(push.Spec);
    }

    public Task ReportSimulatedGpuMemory(string taskId, int device, long bytes, CancellationToken cancellationToken)
    {
        silo.SimulatedGpus.Report(taskId, device, bytes);
        return Task.CompletedTask;
    }

    public Task<TaskReplies> PushTasks(PushTasks push, CancellationToken cancellationToken)
    {
        if (push.Specs.Count == 0)
        {
            throw new ArgumentException($"PushTasks on lease {push.LeaseId} carries no tasks; send at least one.", nameof(push));
        }

        silo.Traffic.TasksArrived(push.Specs.Count);
        if (silo.StoppedLease(push.LeaseId) is { } stopped)
        {
            var replies = new TaskReplies();
            replies.Replies.AddRange(push.Specs.Select(spec => Stopped(spec, stopped)));
            return Task.FromResult(replies);
        }

        var lease = silo.LeaseFor(push.LeaseId, push.Specs[0].JobId, push.GpuIds);
        return BatchReplies.RunAllAsync(push.Specs, lease.Enqueue);
    }

    public Task ReleaseLease(string leaseId, int pushed)
    {
        silo.ReleaseLease(leaseId, pushed);
        return Task.CompletedTask;
    }

    public Task<ObjectPayload> GetObject(GetObject request, CancellationToken cancellationToken)
    {
        var value = Stored(request.ObjectId);
        var payload = ObjectTransfer.Serve(request, value, silo.Options.ObjectChunkBytes);
        if (payload.Streamed)
        {
            silo.Served.Add(request.ObjectId, value);
        }

        return Task.FromResult(payload);
    }

    public Task<PooledBuffer> ReadObjectChunk(string objectId, long offset, int count, CancellationToken cancellationToken)
    {
        var value = silo.Served.TryGet(objectId, offset + count, out var serving) ? serving : Stored(objectId);
        if (offset < 0 || count < 0 || offset + count > value.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + count} are outside object {objectId} ({value.Length} bytes)");
        }

        return Task.FromResult(ObjectTransfer.Pooled(value, offset, count));
    }

    public Task PutObject(PutObject put, CancellationToken cancellationToken)
    {
        if (put.StreamedSize > 0)
        {
            silo.IncomingPuts.Open(put);
            return Task.CompletedTask;
        }

        // A store that spills writes to disk: off the grain's turn.
        return Task.Run(() => silo.Store.Put(put.ObjectId, put.JobId, put.Value), cancellationToken);
    }

    public Task WriteObjectChunk(string objectId, long offset, PooledBuffer data, CancellationToken cancellationToken)
    {
        try
        {
            silo.IncomingPuts.Write(objectId, offset, data.AsReadOnlySequence(), silo.NodeId);
        }
        finally
        {
            data.Reset();
        }

        return Task.CompletedTask;
    }

    public Task CommitObject(string objectId, CancellationToken cancellationToken)
    {
        var (put, bytes) = silo.IncomingPuts.Take(objectId, silo.NodeId);
        return Task.Run(() => silo.Store.Put(put.ObjectId, put.JobId, bytes), cancellationToken);
    }

    public Task FreeObjects(FreeObjects request)
    {
        foreach (var id in request.ObjectIds)
        {
            silo.Served.Remove(id);
            silo.Store.Free(id);
        }

        return Task.CompletedTask;
    }

    public Task<StreamItems> ReadStream(ReadStream request, CancellationToken cancellationToken) => silo.Streams.ReadAsync(request, cancellationToken);

    public Task AppendStreamItem(string taskId, int index, TaskReply item, CancellationToken cancellationToken)
    {
        silo.Streams.Append(taskId, index, item);
        return Task.CompletedTask;
    }

    public Task JobEnded(string jobId, CancellationToken cancellationToken)
    {
        silo.EndJob(jobId);
        return Task.CompletedTask;
    }

    public Task AttachWorker(string workerId, IWorkerObserver worker, CancellationToken cancellationToken) =>
        silo.Workers.TryAttach(workerId, worker)
            ? Task.CompletedTask
            : throw new GranaryException($"Node {silo.NodeId} did not start a worker named {workerId}.");

    public Task CancelTask(CancelTask cancel, CancellationToken cancellationToken)
    {
        silo.CancelTask(cancel);
        return Task.CompletedTask;
    }

    public Task DeliverPiece(CollectivePiece piece, CancellationToken cancellationToken)
    {
        silo.Mailboxes.Deliver(piece);
        return Task.CompletedTask;
    }

    public Task<CollectivePiece> TakePiece(TakePiece take, CancellationToken cancellationToken) => silo.Mailboxes.TakeAsync(take, cancellationToken);

    public Task StopLease(StopLease stop, CancellationToken cancellationToken)
    {
        silo.StopLease(stop.LeaseId, stop.Error);
        return Task.CompletedTask;
    }

    private TaskReply Stopped(TaskSpec spec, ErrorInfo error) => LeaseWorker.StoppedReply(spec, error, silo.NodeId);

    private ValueBytes Stored(string objectId) =>
        silo.Store.TryGetBytes(objectId, out var value)
            ? value
            : throw new ObjectLostException(objectId, $"Object {objectId} is not in node {silo.NodeId}'s store (it was freed, or its job ended).");

    public Task StartDriver(StartDriver start, CancellationToken cancellationToken) => silo.Drivers.StartAsync(start, cancellationToken);

    public Task StopDriver(string submissionId, CancellationToken cancellationToken)
    {
        silo.Drivers.Stop(submissionId);
        return Task.CompletedTask;
    }
}
