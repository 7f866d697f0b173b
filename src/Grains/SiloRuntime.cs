using System.Collections.Concurrent;
using Granary.Grains.Head;
using Granary.Runtime.Code;
using Granary.Runtime.Gpus;
using Granary.Runtime.Objects;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Serialization;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Grains;

/// <summary>
/// Everything Granary runs on one silo: the head's state (on the head silo), the lease workers (one per
/// task lease), actor activations, the object store, the jobs' code and the worker processes. Orleans
/// carries every call in and out (<see cref="NodeGrain"/>, <see cref="Head.HeadGrain"/>); this holds the
/// state those grains work on, so it outlives any one activation. Thread-safe.
/// </summary>
internal sealed partial class SiloRuntime : IExecutionHost, IAsyncDisposable
{
    // Fetching an object in wire form decodes nothing, so no job's serializer is needed.
    private static readonly ValueSerializer _wireSerializer = new();

    private readonly ConcurrentDictionary<string, LeaseWorker> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActorActivation> _actors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _earlyReleases = new(StringComparer.Ordinal);

    // Leases the head stopped (their placement group was removed), with the error their late pushes get.
    // A push after the stop must not open the lease again on resources the head is taking back.
    private readonly ConcurrentDictionary<string, ErrorInfo> _stoppedLeases = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private static readonly object _threadGate = new();
    private static int _reservedThreads;
    private Task _heartbeats = Task.CompletedTask;
    private Task _membership = Task.CompletedTask;
    private long _lastHeadContact = Environment.TickCount64;
    private readonly CancellationTokenSource _heartbeatStop = new();

    public SiloRuntime(GranarySiloOptions options, Head.Persistence.IHeadStore? headStore = null, ILoggerFactory? hostLogging = null, GpuInventory? gpus = null)
    {
        options.Validate();
        Options = options;
        NodeId = options.NodeId ?? "node-" + Guid.NewGuid().ToString("N")[..12];
        LoggerFactory = options.LoggerFactory ?? hostLogging ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger("Granary.Silo");
        Blobs = new AssemblyBlobCache();
        Executor = new TaskExecutor(this);
        Logs = new Runtime.Logs.LogShipper(NodeId, (batch, cancellationToken) => HeadGrain.ShipLogs(batch, cancellationToken));
        Runtime.Logs.ConsoleCapture.Install();
        if (options.IsHead)
        {
            Head = new HeadService(this, headStore ?? new Head.Persistence.MemoryHeadStore());
        }

        Jobs = new JobCodeRegistry(new HeadCodeSource(() => HeadGrain), Blobs, code => new JobObjects(this, code));
        Clients = new InClusterClients(NodeId, () => ClusterClient ?? throw new InvalidOperationException("This silo has not started yet; tasks cannot submit work before it has."), Jobs);
        Gpus = gpus ?? GpuInventory.Detect(options.Gpus, options.GpuType, options.GpuMemoryBytes, options.CudaVisibleDevices);
        ReserveThreadsForBlockingWork(OfferedResources()[ResourceSet.Cpu]);
        Workers = new Workers.WorkerPool(this);
        Drivers = new Drivers.DriverProcesses(this);
        Store = new ObjectStore(
            options.ObjectStoreCapacityBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.3),
            options.SpillDirectory ?? Path.Combine(Path.GetTempPath(), "granary-spill-" + NodeId));
        MemoryReturner = new MemoryReturner(() => Store.FreedBytes, TimeSpan.FromSeconds(1));
        Mailboxes = new RankMailboxes(NodeId);
        SimulatedGpus = new Gpus.SimulatedGpuMemory(Gpus);
        Nvml = new Gpus.SharedNvml([.. Gpus.Devices.Select(d => d.Index)]);
        MetricsMonitor = new Metrics.MetricsMonitor(this);
    }

    /// <summary>What tasks report using of this node's simulated GPUs (nothing on real ones).</summary>
    public Gpus.SimulatedGpuMemory SimulatedGpus { get; }

    Runtime.Gpus.IGpuMemoryReporter IExecutionHost.GpuMemory => SimulatedGpus;

    /// <summary>The log of GPU memory profiling and packing on this node.</summary>
    public ILogger GpuLogger => LoggerFactory.CreateLogger("Granary.Gpus");

    /// <summary>NVML for the GPU meters of real devices, opened on first use.</summary>
    public Gpus.SharedNvml Nvml { get; }

    /// <summary>Ring-collective pieces for the ranks of multi-rank launches running here.</summary>
    public RankMailboxes Mailboxes { get; }

    /// <summary>Samples this node's resource use for its heartbeats and Granary's meter.</summary>
    public Metrics.MetricsMonitor MetricsMonitor { get; }

    /// <summary>Returns the pages of freed large objects to the OS (see <see cref="Grains.MemoryReturner"/>).</summary>
    public MemoryReturner MemoryReturner { get; }

    /// <summary>Worker processes for tasks that ask for process isolation.</summary>
    public Workers.WorkerPool Workers { get; }

    /// <summary>Drivers of submitted jobs (`granary submit`) the head placed on this node.</summary>
    public Drivers.DriverProcesses Drivers { get; }

    /// <summary>Items of the streaming tasks running here, until their owners read them.</summary>
    public TaskStreams Streams { get; } = new();

    /// <summary>This node's GPUs: real ones from NVML, or simulated from the options.</summary>
    public GpuInventory Gpus { get; }

    public GranarySiloOptions Options { get; }

    public string NodeId { get; }

    /// <summary>host:port of this silo's Orleans gateway, where clients and worker processes connect; set at start.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>host:port of this silo's silo-to-silo endpoint; set at start.</summary>
    public string SiloEndpoint { get; private set; } = string.Empty;

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>This silo's Orleans generation (its start time); set at start.</summary>
    public long Generation { get; private set; }

    /// <summary>How long the head has not answered this node's load reports.</summary>
    public TimeSpan HeadSilentFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastHeadContact));

    /// <summary>Orleans' grain factory of this silo; set at start.</summary>
    public IGrainFactory GrainFactory { get; private set; } = null!;

    /// <summary>Orleans' client of this silo (the in-cluster clients are built over it); set at start.</summary>
    public IClusterClient? ClusterClient { get; private set; }

    public InClusterClients Clients { get; }

    public IHeadGrain HeadGrain => GrainFactory.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey);

    /// <summary>The grain of a node: this one or any other, addressed by node id.</summary>
    public INodeGrain Node(string nodeId) => GrainFactory.GetGrain<INodeGrain>(nodeId);

    /// <summary>The grain of an actor, wherever it lives, addressed by its grain key (<see cref="ActorKeys"/>).</summary>
    public IActorGrain Actor(string grainKey) => GrainFactory.GetGrain<IActorGrain>(grainKey);

    /// <summary>Chunked puts arriving here.</summary>
    public IncomingPuts IncomingPuts { get; } = new();

    public CallTraffic Traffic { get; } = new();

    /// <summary>Objects being sent from here in chunks.</summary>
    public ServedObjects Served { get; } = new();

    public AssemblyBlobCache Blobs { get; }

    public TaskExecutor Executor { get; }

    public HeadService? Head { get; }

    /// <summary>What this silo's tasks write, on its way to their jobs' clients.</summary>
    public Runtime.Logs.LogShipper Logs { get; }

    public JobCodeRegistry Jobs { get; }

    public ObjectStore Store { get; }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The tasks running on this silo (isolated ones too, through their worker), for cancels.</summary>
    public RunningTasks Running { get; } = new();

    /// <summary>Set when the silo is stopped as a crash would stop it: no draining, no goodbye to the head.</summary>
    public bool Killed { get; set; }

    public IEnumerable<ActorActivation> Actors => _actors.Values;

    public IEnumerable<LeaseWorker> LeaseWorkers => _leases.Values;

    public int LeaseCount => _leases.Count;

    /// <summary>The resources this node offers, from its options.</summary>
    public ResourceSet OfferedResources() => Options.OfferedResources(Gpus);

    /// <summary>
    /// Called once the silo has joined the cluster: the head restores its tables, then this node registers
    /// with the head and starts reporting its load.
    /// </summary>
    public async Task StartAsync(IGrainFactory grainFactory, IClusterClient clusterClient, IClusterMembershipService membership, string address, string siloEndpoint, long generation, CancellationToken cancellationToken)
    {
        GrainFactory = grainFactory;
        ClusterClient = clusterClient;
        Generation = generation;
        _lastHeadContact = Environment.TickCount64;
        Address = address;
        SiloEndpoint = siloEndpoint;
        if (Head is not null)
        {
            await Head.RestoreAsync(cancellationToken).ConfigureAwait(false);
            _membership = Head.FollowMembershipAsync(membership);
        }

        await RegisterAsync(cancellationToken).ConfigureAwait(false);
        LogStarted(NodeId, address, Options.IsHead ? "head" : "worker", OfferedResources().ToString(), Gpus.Source);
        _heartbeats = HeartbeatLoopAsync();
        if (!Options.IsHead && Options.WorkerStartInfo is not null)
        {
            Workers.Prestart();
        }
    }

    public NodeInfo Describe()
    {
        var info = new NodeInfo { NodeId = NodeId, Address = Address, Total = OfferedResources().ToWire(), Alive = true, IsHead = Options.IsHead, GpusSimulated = Gpus.Simulated };
        info.Gpus.AddRange(Gpus.Devices.Select(d => new GpuInfo { Index = d.Index, Type = d.Type, MemoryBytes = d.MemoryBytes }));
        return info;
    }

    private Task RegisterAsync(CancellationToken cancellationToken) => HeadGrain.RegisterNode(Describe(), cancellationToken);

    /// <summary>
    /// Tells the head this node lives. When the head does not know it (the head restarted, or declared this
    /// node dead), the node registers again; if it had been declared dead, its actors and leases are gone
    /// cluster-wide, so they are dropped here too.
    /// </summary>
    private async Task HeartbeatLoopAsync()
    {
        var failing = false;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(Stopping, _heartbeatStop.Token);
        var stop = linked.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.HeartbeatInterval, stop).ConfigureAwait(false);
                var (running, queued) = TaskCounts();
                var store = new ObjectStoreStats { Objects = Store.Count, MemoryBytes = Store.Bytes, SpilledBytes = Store.SpilledBytes, CapacityBytes = Store.CapacityBytes };
                var reply = await HeadGrain.Heartbeat(new Heartbeat { NodeId = NodeId, RunningTasks = running, QueuedTasks = queued, Store = store, Metrics = MetricsMonitor.Sample() }, stop).ConfigureAwait(false);
                if (!reply.Known && !stop.IsCancellationRequested)
                {
                    ForgetWork("the head no longer knew this node (it restarted or declared the node dead)");
                    await RegisterAsync(stop).ConfigureAwait(false);
                    LogRejoined(NodeId);
                }

                failing = false;
                Volatile.Write(ref _lastHeadContact, Environment.TickCount64);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!failing)
                {
                    LogHeartbeatFailed(NodeId, ex.Message);
                }

                failing = true;
            }
        }
    }

    /// <summary>
    /// User methods run on the thread pool and may block (Thread.Sleep, synchronous I/O, a long loop). Each
    /// CPU slot can hold a thread that way, so the pool keeps that many threads ready on top of what the
    /// silo's own networking needs; otherwise a busy node would answer heartbeats and dials only as fast as
    /// the pool injects threads (about two a second).
    /// </summary>
    private static void ReserveThreadsForBlockingWork(double cpus)
    {
        lock (_threadGate)
        {
            _reservedThreads += (int)Math.Ceiling(cpus) + 4;
            ThreadPool.GetMinThreads(out var workers, out var io);
            var wanted = Math.Max(workers, Environment.ProcessorCount + _reservedThreads);
            if (wanted > workers)
            {
                ThreadPool.SetMinThreads(wanted, io);
            }
        }
    }

    /// <summary>Running and queued tasks over all leases, for heartbeats and status.</summary>
    public (int Running, int Queued) TaskCounts()
    {
        int running = 0, queued = 0;
        foreach (var worker in _leases.Values)
        {
            running += worker.Running ? 1 : 0;
            queued += worker.Queued;
        }

        return (running, queued);
    }

    private void ForgetWork(string reason)
    {
        foreach (var actor in _actors.Values)
        {
            actor.Deactivate(reason);
        }

        foreach (var worker in _leases.Values)
        {
            worker.Release();
        }
    }

    /// <summary>
    /// Graceful stop: the head stops sending work here, running and queued tasks get up to the drain timeout
    /// to finish, then the node leaves (its actors die and their callers get ActorDied).
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (Options.IsHead || Address.Length == 0)
        {
            return;
        }

        try
        {
            await HeadGrain.Drain(NodeId, cancellationToken).ConfigureAwait(false);
            var deadline = Environment.TickCount64 + (long)Options.DrainTimeout.TotalMilliseconds;
            while (Environment.TickCount64 < deadline && TaskCounts() is not (0, 0))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            // Heartbeats stop first: one answered "unknown" after the goodbye would register the node again.
            await _heartbeatStop.CancelAsync().ConfigureAwait(false);
            await _heartbeats.ConfigureAwait(false);
            await HeadGrain.Deregister(NodeId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHeartbeatFailed(NodeId, "could not leave gracefully: " + ex.Message);
        }
    }

    /// <summary>
    /// The lease's worker, opened on its first push. <paramref name="gpuSlots"/> are the head's numbers for
    /// this node's GPUs (0..count-1); the worker holds the devices they stand for (<see cref="GpuInventory.DeviceIndexes"/>),
    /// which is what its tasks see.
    /// </summary>
    public LeaseWorker LeaseFor(string leaseId, string jobId, IReadOnlyList<int> gpuSlots)
    {
        var worker = _leases.GetOrAdd(leaseId, static (id, state) => new LeaseWorker(id, state.jobId, state.self.Gpus.DeviceIndexes(state.gpuSlots), state.self), (jobId, gpuSlots, self: this));
        if (_earlyReleases.TryRemove(leaseId, out var pushed))
        {
            worker.Release(pushed);
        }

        return worker;
    }

    /// <summary>The error for a push on a lease the head stopped; null for any other lease.</summary>
    public ErrorInfo? StoppedLease(string leaseId) => _stoppedLeases.IsEmpty ? null : _stoppedLeases.GetValueOrDefault(leaseId);

    /// <summary>
    /// The head takes a lease back (its placement group was removed): its work stops and fails with
    /// <paramref name="error"/>. A lease none of whose tasks arrived yet goes straight back to the head.
    /// </summary>
    public void StopLease(string leaseId, ErrorInfo error)
    {
        _stoppedLeases[leaseId] = error;
        _earlyReleases.TryRemove(leaseId, out _);
        if (_leases.TryGetValue(leaseId, out var worker))
        {
            worker.Stop(error);
        }
        else
        {
            _ = ReturnLeaseAsync(leaseId);
        }
    }

    /// <summary>The owner cancels one of its tasks on <paramref name="leaseId"/>; see <see cref="RunningTasks"/>.</summary>
    public void CancelTask(CancelTask cancel)
    {
        Running.Cancel(cancel.TaskId, cancel.Force, cancel.Recursive);
        if (cancel.Recursive)
        {
            Clients.CancelChildren(cancel.TaskId, cancel.Force);
        }
    }

    public void ReleaseLease(string leaseId, int pushed)
    {
        if (_stoppedLeases.ContainsKey(leaseId))
        {
            // The head stopped it; it goes back (or went back) once its running task stopped.
            return;
        }

        if (_leases.TryGetValue(leaseId, out var worker))
        {
            worker.Release(pushed);
        }
        else if (pushed == 0)
        {
            // Released before any task came: nothing to drain, give it straight back.
            _ = ReturnLeaseAsync(leaseId);
        }
        else
        {
            // The release overtook the lease's pushes: the first of them applies it.
            _earlyReleases[leaseId] = pushed;
            if (_leases.TryGetValue(leaseId, out var late) && _earlyReleases.TryRemove(leaseId, out var count))
            {
                late.Release(count);
            }
        }
    }

    public void LeaseFinished(LeaseWorker worker)
    {
        _leases.TryRemove(worker.LeaseId, out _);
        _ = ReturnLeaseAsync(worker.LeaseId);
    }

    /// <summary>The live actor whose grain key is <paramref name="grainKey"/>; a scan, as it is asked only when an actor grain activates.</summary>
    public bool TryGetActorByGrainKey(string grainKey, out ActorActivation actor)
    {
        foreach (var candidate in _actors.Values)
        {
            if (ActorKeys.GrainKey(candidate.Spec) == grainKey)
            {
                actor = candidate;
                return true;
            }
        }

        actor = null!;
        return false;
    }

    public void AddActor(ActorActivation actor)
    {
        Jobs.ActorStarted(actor.Spec.JobId);
        _actors[actor.Spec.ActorId] = actor;
    }

    public void DeactivateActor(string actorId, string reason)
    {
        if (_actors.TryGetValue(actorId, out var actor))
        {
            actor.Deactivate(reason);
        }
    }

    public void ActorFinished(ActorActivation actor)
    {
        _actors.TryRemove(actor.Spec.ActorId, out _);
        Jobs.ActorStopped(actor.Spec.JobId);
    }

    /// <summary>The job ended: stop its leases, drop its objects and, unless actors of it live on, its code.</summary>
    public WeakReference? EndJob(string jobId)
    {
        foreach (var worker in _leases.Values)
        {
            if (worker.JobId == jobId)
            {
                worker.Release();
            }
        }

        Store.FreeJob(jobId);
        Streams.JobEnded(jobId);
        Mailboxes.JobEnded(jobId);
        Workers.JobEnded(jobId);
        _ = Clients.JobEndedAsync(jobId);
        return Jobs.JobEnded(jobId);
    }

    /// <summary>Builds the reply for a value: inline when small, else kept in this silo's store and named by location.</summary>
    public TaskReply Completed(string objectId, string jobId, Value value)
    {
        return value.Data.Length <= Options.InlineThresholdBytes
            ? new TaskReply { Value = value, NodeId = NodeId }
            : Completed(objectId, jobId, ValueBytes.From(value));
    }

    public ValueTask StreamItemAsync(TaskSpec spec, int index, TaskReply item, CancellationToken cancellationToken)
    {
        Streams.Append(spec.TaskId, index, item);
        return ValueTask.CompletedTask;
    }

    public TaskReply Completed(string objectId, string jobId, ValueBytes value) => new() { NodeId = NodeId, Location = StoreObject(objectId, jobId, value) };

    public int InlineThresholdBytes => Options.InlineThresholdBytes;

    public ObjectLocation StoreObject(string objectId, string jobId, Value value) => StoreObject(objectId, jobId, ValueBytes.From(value));

    private ObjectLocation StoreObject(string objectId, string jobId, ValueBytes value)
    {
        Store.Put(objectId, jobId, value);
        return new ObjectLocation { ObjectId = objectId, NodeId = NodeId, Address = Address, Size = value.Length };
    }

    public void FreeObject(ObjectLocation location)
    {
        if (location.NodeId.Length > 0 && location.NodeId != NodeId)
        {
            // A nested task's result, stored where that task ran: only that node can free it. A one-way call.
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Node.FreeObjects(new FreeObjects { ObjectIds = { state.Id } }), (Node: Node(location.NodeId), Id: location.ObjectId), preferLocal: false);
            return;
        }

        // From a finalizer: the store's lock may be held by a spill, so free on the thread pool instead.
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Store.Free(state.Id), (Store, Id: location.ObjectId), preferLocal: false);
    }

    /// <summary>Gets an object's value in wire form (a ref read out of a value) from this silo's store or the silo that holds it.</summary>
    public async ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken)
    {
        if (Store.TryGet(location.ObjectId, out var local))
        {
            return local;
        }

        return ((ValueBytes)(await FetchArgumentAsync(location, type: null, _wireSerializer, cancellationToken).ConfigureAwait(false))!).ToValue();
    }

    /// <summary>
    /// Gets an object as <paramref name="type"/> (as <see cref="ValueBytes"/> when null) from this silo's store
    /// or from the silo that holds it; a pulled raw array is decoded as its chunks arrive.
    /// </summary>
    public async ValueTask<object?> FetchArgumentAsync(ObjectLocation location, Type? type, ValueSerializer serializer, CancellationToken cancellationToken)
    {
        if (Store.TryGetBytes(location.ObjectId, out var local))
        {
            return type is null ? local : serializer.Deserialize(local, type);
        }

        if (location.NodeId == NodeId)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} is no longer in node {NodeId}'s store (it was freed).");
        }

        return (await ObjectTransfer.FetchAsync(Node(location.NodeId), location, type, serializer, Options.ObjectChunkBytes, cancellationToken).ConfigureAwait(false)).Value;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var actor in _actors.Values)
        {
            actor.Deactivate("the silo is stopping");
        }

        foreach (var worker in _leases.Values)
        {
            worker.Release();
        }

        await Clients.DisposeAsync().ConfigureAwait(false);
        await Workers.DisposeAsync().ConfigureAwait(false);
        await Drivers.DisposeAsync().ConfigureAwait(false);
        await Logs.DisposeAsync().ConfigureAwait(false);
        MemoryReturner.Dispose();
        Store.Dispose();
        await _heartbeats.ConfigureAwait(false);
        MetricsMonitor.Dispose();
        Nvml.Dispose();
        await _membership.ConfigureAwait(false);
        if (Head is not null)
        {
            await Head.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ReturnLeaseAsync(string leaseId)
    {
        try
        {
            await HeadGrain.ReturnLease(leaseId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReturnLeaseFailed(leaseId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {NodeId} serving clients on {Address} as {Role}, offering {Resources}; GPUs: {Gpus}")]
    private partial void LogStarted(string nodeId, string address, string role, string resources, string gpus);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {NodeId} cannot reach the head: {Reason}")]
    private partial void LogHeartbeatFailed(string nodeId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {NodeId} registered with the head again")]
    private partial void LogRejoined(string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not return lease {LeaseId} to the head: {Reason}")]
    private partial void LogReturnLeaseFailed(string leaseId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing actor {ActorId} threw")]
    public partial void LogActorDisposeFailed(string actorId, Exception exception);
}
