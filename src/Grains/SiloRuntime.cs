using System.Collections.Concurrent;
using Granary.Grains.Head;
using Granary.Runtime.Code;
using Granary.Runtime.Objects;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Grains;

/// <summary>
/// Everything one silo runs, apart from its listener: the head grain (on the head silo), the lease
/// workers (task grains), actor grains, the object store, the jobs' code, and connections to peers.
/// Thread-safe.
/// </summary>
internal sealed partial class SiloRuntime : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LeaseWorker> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActorGrain> _actors = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private int _accepted;

    public SiloRuntime(SiloOptions options)
    {
        options.Validate();
        Options = options;
        NodeId = options.NodeId ?? "node-" + Guid.NewGuid().ToString("N")[..12];
        LoggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger("Granary.Silo");
        Transport = new TransportOptions { MaxFrameBytes = options.MaxFrameBytes };
        Handler = new SiloMessageHandler(this);
        Peers = new ConnectionPool(
            () => new Hello { Role = PeerRole.Silo, NodeId = NodeId, Address = Address },
            Handler,
            LoggerFactory.CreateLogger("Granary.Transport"),
            Transport);
        Blobs = new AssemblyBlobCache();
        Executor = new TaskExecutor(this);
        if (options.IsHead)
        {
            Head = new HeadGrain(this);
            HeadChannel = HeadChannel.Local(Head);
        }
        else
        {
            HeadChannel = HeadChannel.Remote(Peers, options.HeadAddress!);
        }

        Jobs = new JobCodeRegistry(new HeadCodeSource(HeadChannel), Blobs);
    }

    public SiloOptions Options { get; }

    public string NodeId { get; }

    /// <summary>host:port this silo listens on; set once the listener is bound.</summary>
    public string Address { get; private set; } = string.Empty;

    public ILoggerFactory LoggerFactory { get; }

    public TransportOptions Transport { get; }

    public SiloMessageHandler Handler { get; }

    public ConnectionPool Peers { get; }

    public AssemblyBlobCache Blobs { get; }

    public TaskExecutor Executor { get; }

    public HeadGrain? Head { get; }

    public HeadChannel HeadChannel { get; }

    public JobCodeRegistry Jobs { get; }

    public ObjectStore Store { get; } = new();

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Connections peers opened to this silo (dialed ones not counted).</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    public void ConnectionAccepted() => Interlocked.Increment(ref _accepted);

    public IEnumerable<ActorGrain> Actors => _actors.Values;

    /// <summary>The resources this node offers, from its options.</summary>
    public ResourceSet OfferedResources()
    {
        var amounts = new Dictionary<string, double>(Options.Resources)
        {
            [ResourceSet.Cpu] = Options.Cpus ?? Environment.ProcessorCount,
        };
        if (Options.MemoryBytes > 0)
        {
            amounts[ResourceSet.Memory] = Options.MemoryBytes;
        }

        return new ResourceSet(amounts);
    }

    /// <summary>Called once the listener is bound: registers this node with the head.</summary>
    public async Task StartAsync(string address, CancellationToken cancellationToken)
    {
        Address = address;
        var info = new NodeInfo { NodeId = NodeId, Address = address, Total = OfferedResources().ToWire(), Alive = true, IsHead = Options.IsHead };
        await HeadChannel.RequestAsync(new Envelope { RegisterNode = new RegisterNode { Node = info } }, cancellationToken).ConfigureAwait(false);
        LogStarted(NodeId, address, Options.IsHead ? "head" : "worker", OfferedResources().ToString());
    }

    public LeaseWorker LeaseFor(string leaseId, string jobId) =>
        _leases.GetOrAdd(leaseId, static (id, state) => new LeaseWorker(id, state.jobId, state.self), (jobId, self: this));

    public void ReleaseLease(string leaseId)
    {
        if (_leases.TryGetValue(leaseId, out var worker))
        {
            worker.Release();
        }
        else
        {
            // Released before any task came: nothing to drain, give it straight back.
            _ = ReturnLeaseAsync(leaseId);
        }
    }

    public void LeaseFinished(LeaseWorker worker)
    {
        _leases.TryRemove(worker.LeaseId, out _);
        _ = ReturnLeaseAsync(worker.LeaseId);
    }

    public bool TryGetActor(string actorId, out ActorGrain actor) => _actors.TryGetValue(actorId, out actor!);

    public void AddActor(ActorGrain actor)
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

    public void ActorFinished(ActorGrain actor)
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
        return Jobs.JobEnded(jobId);
    }

    /// <summary>Gets an object's value from this silo's store or from the silo that holds it.</summary>
    public async ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken)
    {
        if (Store.TryGet(location.ObjectId, out var local))
        {
            return local;
        }

        if (location.NodeId == NodeId)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} is no longer in node {NodeId}'s store (it was freed).");
        }

        try
        {
            var peer = await Peers.GetAsync(location.Address, cancellationToken).ConfigureAwait(false);
            var reply = await peer.RequestAsync(new Envelope { GetObject = new GetObject { ObjectId = location.ObjectId } }, cancellationToken).ConfigureAwait(false);
            return reply.ObjectPayload.Value;
        }
        catch (Exception ex) when (ex is ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} was on node {location.NodeId} ({location.Address}), which cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>Sends a message to a node: in process when it is this node, else over the peer connection.</summary>
    public async Task<Envelope> RequestNodeAsync(string address, Envelope message, CancellationToken cancellationToken)
    {
        if (address == Address)
        {
            var reply = await Handler.HandleLocalAsync(message).ConfigureAwait(false) ?? new Envelope { Ok = new Empty() };
            return reply.BodyCase == Envelope.BodyOneofCase.Error ? throw Runtime.Serialization.ErrorConverter.ToException(reply.Error) : reply;
        }

        var connection = await Peers.GetAsync(address, cancellationToken).ConfigureAwait(false);
        return await connection.RequestAsync(message, cancellationToken).ConfigureAwait(false);
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

        await Peers.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReturnLeaseAsync(string leaseId)
    {
        try
        {
            await HeadChannel.SendAsync(new Envelope { ReturnLease = new ReturnLease { LeaseId = leaseId } }, Stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            LogReturnLeaseFailed(leaseId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {NodeId} listening on {Address} as {Role}, offering {Resources}")]
    private partial void LogStarted(string nodeId, string address, string role, string resources);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not return lease {LeaseId} to the head: {Reason}")]
    private partial void LogReturnLeaseFailed(string leaseId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing actor {ActorId} threw")]
    public partial void LogActorDisposeFailed(string actorId, Exception exception);
}
