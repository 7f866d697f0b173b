using Granary.Runtime.Code;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Workers;

/// <summary>
/// The inside of a worker process: it dials its silo, runs the tasks the silo pushes with the same executor
/// a silo uses, and exits when the silo goes away. Results always travel back inline; the silo decides what
/// to keep in its store.
/// </summary>
internal sealed class WorkerRuntime : IExecutionHost, IMessageHandler
{
    private readonly string _siloAddress;
    private readonly ConnectionPool _pool;
    private readonly TaskExecutor _executor;
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkerRuntime(string siloAddress, string workerId, string nodeId, ILoggerFactory loggerFactory)
    {
        _siloAddress = siloAddress;
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

    public async ValueTask<Value> FetchObjectAsync(ObjectLocation location, CancellationToken cancellationToken)
    {
        var peer = await _pool.GetAsync(location.Address, cancellationToken).ConfigureAwait(false);
        var reply = await peer.RequestAsync(new Envelope { GetObject = new GetObject { ObjectId = location.ObjectId } }, cancellationToken).ConfigureAwait(false);
        return reply.ObjectPayload.Value;
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

    private async Task<Envelope?> RunAsync(PushTask push) =>
        new() { TaskReply = await _executor.RunTaskAsync(push.Spec, [.. push.GpuIds], CancellationToken.None).ConfigureAwait(false) };

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
