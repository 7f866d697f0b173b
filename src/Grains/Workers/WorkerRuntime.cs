using Granary.Runtime.Code;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Workers;

/// <summary>
/// The inside of a worker process: it dials its silo, runs the tasks the silo pushes with the same executor
/// a silo uses, and exits when the silo goes away. Results up to the silo's inline threshold travel back in the
/// reply; larger ones are streamed into the silo's store first, and the reply names where they are.
/// </summary>
internal sealed class WorkerRuntime : IExecutionHost, IMessageHandler
{
    // Fetching an object in wire form decodes nothing, so no job's serializer is needed.
    private static readonly ValueSerializer _wireSerializer = new();

    private readonly string _siloAddress;
    private readonly int _inlineThresholdBytes;
    private readonly ConnectionPool _pool;
    private readonly TaskExecutor _executor;
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkerRuntime(string siloAddress, string workerId, string nodeId, int inlineThresholdBytes, ILoggerFactory loggerFactory)
    {
        _siloAddress = siloAddress;
        _inlineThresholdBytes = inlineThresholdBytes;
        NodeId = nodeId;
        _pool = new ConnectionPool(() => new Hello { Role = PeerRole.Worker, NodeId = workerId }, this, loggerFactory.CreateLogger("Granary.Worker"));
        Jobs = new JobCodeRegistry(new SiloCodeSource(this), new AssemblyBlobCache(), code => new JobObjects(this, code));
        _executor = new TaskExecutor(this);
    }

    public string NodeId { get; }

    public JobCodeRegistry Jobs { get; }

    /// <summary>Connects and serves until the silo's connection closes; returns the reason.</summary>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        await _pool.GetAsync(_siloAddress, cancellationToken).ConfigureAwait(false);
        var reason = await _closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        return reason;
    }

    public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => message.BodyCase switch
    {
        Envelope.BodyOneofCase.PushTask => new ValueTask<Envelope?>(RunAsync(message.PushTask)),
        Envelope.BodyOneofCase.JobEnded => Ended(message.JobEnded.JobId),
        _ => new ValueTask<Envelope?>(new Envelope { Error = Runtime.Serialization.ErrorConverter.System($"a worker does not handle {message.BodyCase}", NodeId) }),
    };

    public void OnClosed(Connection connection, string reason)
    {
        if (connection.Peer == _siloAddress)
        {
            _closed.TrySetResult(reason);
        }
    }

    public async ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken) =>
        ((ValueBytes)(await FetchArgumentAsync(location, type: null, _wireSerializer, cancellationToken).ConfigureAwait(false))!).ToValue();

    public async ValueTask<object?> FetchArgumentAsync(ObjectLocation location, Type? type, ValueSerializer serializer, CancellationToken cancellationToken)
    {
        try
        {
            var peer = await _pool.GetAsync(location.Address, cancellationToken).ConfigureAwait(false);
            return (await ObjectTransfer.FetchAsync(peer, location, type, serializer, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (Exception ex) when (ex is ConnectionClosedException or System.Net.Sockets.SocketException)
        {
            throw new ObjectLostException(location.ObjectId, $"Object {location.ObjectId} was on node {location.NodeId} ({location.Address}), which cannot be reached: {ex.Message}", ex);
        }
    }

    public TaskReply Completed(TaskSpec spec, Value value) => new() { Value = value, NodeId = NodeId };

    // The worker is not told its silo's setting; the default matches what silos use unless configured.
    public int InlineThresholdBytes { get; } = new SiloOptions().InlineThresholdBytes;

    /// <summary>
    /// A worker has no store of its own: a large value a task puts goes to its silo. TaskContext.Put is
    /// synchronous, so this waits for the upload; the reply comes back on the connection's reader, not on
    /// the blocked thread.
    /// </summary>
    public ObjectLocation StoreObject(string objectId, string jobId, Value value)
    {
        RequestSiloAsync(new Envelope { PutObject = new PutObject { ObjectId = objectId, JobId = jobId, Value = value } }, CancellationToken.None)
            .GetAwaiter().GetResult();
        return new ObjectLocation { ObjectId = objectId, NodeId = NodeId, Address = _siloAddress, Size = value.Data.Length };
    }

    public void FreeObject(ObjectLocation location)
    {
        // From a finalizer: sending only queues the frame on the connection's outbox.
        if (_pool.TryGetOpen(_siloAddress) is { } silo)
        {
            silo.Send(new Envelope { FreeObjects = new FreeObjects { ObjectIds = { location.ObjectId } } });
        }
    }

    internal async Task<Envelope> RequestSiloAsync(Envelope request, CancellationToken cancellationToken)
    {
        var silo = await _pool.GetAsync(_siloAddress, cancellationToken).ConfigureAwait(false);
        return await silo.RequestAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Envelope?> RunAsync(PushTask push)
    {
        var reply = await _executor.RunTaskAsync(push.Spec, [.. push.GpuIds], CancellationToken.None).ConfigureAwait(false);
        if (reply.ResultCase == TaskReply.ResultOneofCase.Value && reply.Value.Data.Length > _inlineThresholdBytes)
        {
            reply = await StoreResultAsync(push.Spec, reply).ConfigureAwait(false);
        }

        return new Envelope { TaskReply = reply };
    }

    /// <summary>
    /// A result the silo would keep in its store anyway is streamed there in chunks, and the reply names its
    /// location: one large frame could exceed the frame limit, and would hold up the connection meanwhile.
    /// </summary>
    private async Task<TaskReply> StoreResultAsync(TaskSpec spec, TaskReply reply)
    {
        try
        {
            var silo = await _pool.GetAsync(_siloAddress, CancellationToken.None).ConfigureAwait(false);
            await ObjectTransfer.PutAsync(silo, spec.TaskId, spec.JobId, ValueBytes.From(reply.Value), CancellationToken.None).ConfigureAwait(false);
            return new TaskReply
            {
                NodeId = NodeId,
                RunMicros = reply.RunMicros,
                Location = new ObjectLocation { ObjectId = spec.TaskId, NodeId = NodeId, Address = _siloAddress, Size = reply.Value.Data.Length },
            };
        }
        catch (Exception ex) when (ex is GranaryException or ConnectionClosedException or IOException or System.Net.Sockets.SocketException)
        {
            return _executor.Failed(ex, spec);
        }
    }

    private ValueTask<Envelope?> Ended(string jobId)
    {
        Jobs.JobEnded(jobId);
        return new ValueTask<Envelope?>((Envelope?)null);
    }

    /// <summary>The worker asks its silo for code; the silo forwards to the head.</summary>
    private sealed class SiloCodeSource(WorkerRuntime worker) : ICodeSource
    {
        public async Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken) =>
            (await worker.RequestSiloAsync(new Envelope { GetJobManifest = new GetJobManifest { JobId = jobId } }, cancellationToken).ConfigureAwait(false)).JobManifest;

        public async Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken) =>
            (await worker.RequestSiloAsync(new Envelope { FetchAssembly = new FetchAssembly { Hash = hash } }, cancellationToken).ConfigureAwait(false)).AssemblyBlob.Content.ToByteArray();
    }
}
