using Granary.Grains.Hosting;
using Granary.Runtime.Code;
using Granary.Runtime.Grains;
using Granary.Runtime.Logs;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;
using Orleans;

namespace Granary.Grains.Workers;

/// <summary>
/// The inside of a worker process: an Orleans client of its own silo's gateway. It attaches itself to its
/// silo's node grain as an observer, runs the tasks the silo pushes with the same executor a silo uses,
/// and exits when its silo's process does. Results up to the silo's inline threshold travel back in the
/// reply; larger ones go into the silo's store first, and the reply names where they are. Code comes from
/// the head and arguments from whichever node holds them, as for a silo.
/// </summary>
internal sealed class WorkerRuntime : IExecutionHost, IWorkerObserver
{
    // Fetching an object in wire form decodes nothing, so no job's serializer is needed.
    private static readonly ValueSerializer _wireSerializer = new();

    private readonly string _siloAddress;
    private readonly string _workerId;
    private readonly int _inlineThresholdBytes;
    private readonly TaskExecutor _executor;
    private readonly RunningTasks _running = new();
    private ClusterClientHost _cluster = null!;
    private bool _environmentSet;

    public WorkerRuntime(string siloAddress, string workerId, string nodeId, int inlineThresholdBytes)
    {
        _siloAddress = siloAddress;
        _workerId = workerId;
        _inlineThresholdBytes = inlineThresholdBytes;
        NodeId = nodeId;
        Jobs = new JobCodeRegistry(new HeadCodeSource(() => _cluster.Head), new AssemblyBlobCache(), code => new JobObjects(this, code));
        Clients = new InClusterClients(nodeId, () => _cluster.Client, Jobs);
        _executor = new TaskExecutor(this);
        Logs = new LogShipper(nodeId, (batch, cancellationToken) => _cluster.Head.ShipLogs(batch, cancellationToken));
    }

    public LogShipper Logs { get; }

    public InClusterClients Clients { get; }

    public string NodeId { get; }

    public JobCodeRegistry Jobs { get; }

    private INodeGrain Silo => _cluster.Client.GetGrain<INodeGrain>(NodeId);

    // One for the process: every task's context carries it.
    Runtime.Gpus.IGpuMemoryReporter IExecutionHost.GpuMemory => _gpuMemory ??= new SiloGpuMemory(this);

    private SiloGpuMemory? _gpuMemory;

    /// <summary>The silo keeps the node's book of simulated GPUs; a worker's tasks report there.</summary>
    private sealed class SiloGpuMemory(WorkerRuntime worker) : Runtime.Gpus.IGpuMemoryReporter
    {
        public async ValueTask ReportAsync(string taskId, int device, long bytes, CancellationToken cancellationToken) =>
            await worker.Silo.ReportSimulatedGpuMemory(taskId, device, bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects, attaches to the silo, and serves until the silo's process (<paramref name="parentPid"/>) is gone.</summary>
    public async Task RunAsync(string clusterId, int parentPid, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        _cluster = await ClusterClientHost.ConnectAsync(_siloAddress, clusterId, TimeSpan.FromSeconds(30), logging, Security.ClusterTls.FromEnvironment(), configure: null, cancellationToken).ConfigureAwait(false);
        ConsoleCapture.Install();
        await using (_cluster.ConfigureAwait(false))
        await using (Clients.ConfigureAwait(false))
        await using (Logs.ConfigureAwait(false))
        {
            var self = _cluster.Client.CreateObjectReference<IWorkerObserver>(this);
            await Silo.AttachWorker(_workerId, self, cancellationToken).ConfigureAwait(false);
            using var parent = System.Diagnostics.Process.GetProcessById(parentPid);
            await parent.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            GC.KeepAlive(self);
        }
    }

    public async Task<TaskReply> RunTask(PushTask push, CancellationToken cancellationToken)
    {
        var spec = push.Spec;
        if (!_environmentSet)
        {
            await SetEnvironmentAsync(spec, cancellationToken).ConfigureAwait(false);
        }

        TaskReply reply;
        using (var running = _running.Start(spec.TaskId, cancellationToken))
        {
            reply = running.Cancelled ? RunningTask.CancelledReply(spec, NodeId)
                : running.Outcome(await _executor.RunTaskAsync(spec, [.. push.GpuIds], running.Token).ConfigureAwait(false), spec, NodeId);
        }

        try
        {
            await StoreIfLargeAsync(spec.TaskId, spec.JobId, reply).ConfigureAwait(false);
            for (var i = 0; i < reply.Returns.Count; i++)
            {
                await StoreIfLargeAsync(ReturnParts.ReturnId(spec.TaskId, i), spec.JobId, reply.Returns[i]).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            return _executor.Failed(ex, spec);
        }

        return reply;
    }

    /// <summary>
    /// A worker serves one job for its whole life, so the job's environment variables and secrets go into
    /// the process's environment before its first task: the task reads them with
    /// Environment.GetEnvironmentVariable, and processes it starts inherit them.
    /// </summary>
    private async Task SetEnvironmentAsync(TaskSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            var code = await Jobs.GetAsync(spec.JobId, spec.ManifestVersion, cancellationToken).ConfigureAwait(false);
            foreach (var (name, value) in code.Environment ?? new Dictionary<string, string>())
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            _environmentSet = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The executor loads the code again and reports the same failure as the task's.
        }
    }

    public Task CancelTask(string taskId, bool recursive)
    {
        _running.Cancel(taskId, force: false, recursive);
        if (recursive)
        {
            Clients.CancelChildren(taskId, force: false);
        }

        return Task.CompletedTask;
    }

    public async ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken) =>
        ((ValueBytes)(await FetchArgumentAsync(location, type: null, _wireSerializer, cancellationToken).ConfigureAwait(false))!).ToValue();

    public async ValueTask<object?> FetchArgumentAsync(ObjectLocation location, Type? type, ValueSerializer serializer, CancellationToken cancellationToken)
    {
        var holder = _cluster.Client.GetGrain<INodeGrain>(location.NodeId);
        return (await ObjectTransfer.FetchAsync(holder, location, type, serializer, GranaryDefaults.ObjectChunkBytes, cancellationToken).ConfigureAwait(false)).Value;
    }

    public async ValueTask StreamItemAsync(TaskSpec spec, int index, TaskReply item, CancellationToken cancellationToken)
    {
        await StoreIfLargeAsync(ReturnParts.StreamItemId(spec.TaskId, index), spec.JobId, item).ConfigureAwait(false);
        await Silo.AppendStreamItem(spec.TaskId, index, item, cancellationToken).ConfigureAwait(false);
    }

    public TaskReply Completed(string objectId, string jobId, Value value) => new() { Value = value, NodeId = NodeId };

    /// <summary>A large raw array goes to the silo's store in chunks straight from its segments (it may pass 2 GiB); the reply names it.</summary>
    public TaskReply Completed(string objectId, string jobId, ValueBytes value) => new() { NodeId = NodeId, Location = Upload(objectId, jobId, value) };

    // The worker is not told its silo's setting for puts; the default matches what silos use unless configured.
    public int InlineThresholdBytes { get; } = GranaryDefaults.InlineThresholdBytes;

    /// <summary>
    /// A worker has no store of its own: a large value a task puts goes to its silo. TaskContext.Put is
    /// synchronous, so this waits for the upload, which completes on Orleans' threads, not the blocked one.
    /// </summary>
    public ObjectLocation StoreObject(string objectId, string jobId, Value value) => Upload(objectId, jobId, ValueBytes.From(value));

    private ObjectLocation Upload(string objectId, string jobId, ValueBytes value) => UploadAsync(objectId, jobId, value).GetAwaiter().GetResult();

    private async Task<ObjectLocation> UploadAsync(string objectId, string jobId, ValueBytes value)
    {
        await ObjectTransfer.PutAsync(Silo, objectId, jobId, value, GranaryDefaults.ObjectChunkBytes, CancellationToken.None).ConfigureAwait(false);
        return new ObjectLocation { ObjectId = objectId, NodeId = NodeId, Address = _siloAddress, Size = value.Length };
    }

    public void FreeObject(ObjectLocation location)
    {
        // From a finalizer: a one-way call only queues the message. A nested task's result lives where it ran.
        var holder = location.NodeId.Length > 0 ? _cluster.Client.GetGrain<INodeGrain>(location.NodeId) : Silo;
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Holder.FreeObjects(new FreeObjects { ObjectIds = { state.Id } }), (Holder: holder, Id: location.ObjectId), preferLocal: false);
    }

    /// <summary>
    /// A result (or one of several returns) the silo would keep in its store anyway goes there first, in
    /// chunks, and the reply names its location instead; its nested refs and run time stay.
    /// </summary>
    private async Task StoreIfLargeAsync(string objectId, string jobId, TaskReply reply)
    {
        if (reply.ResultCase != TaskReply.ResultOneofCase.Value || reply.Value.Data.Length <= _inlineThresholdBytes)
        {
            return;
        }

        reply.Location = await UploadAsync(objectId, jobId, ValueBytes.From(reply.Value)).ConfigureAwait(false);
    }
}
