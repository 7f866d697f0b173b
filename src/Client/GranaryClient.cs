using Granary.Client;
using Granary.Client.Code;
using Granary.Client.Submission;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary;

/// <summary>
/// A connection to a Granary cluster and the owner of everything it submits: remote functions, objects
/// and actors. One client is one job: its owned actors and objects go away when it is disposed.
/// Thread-safe: submit from any number of threads.
/// </summary>
public sealed partial class GranaryClient : IAsyncDisposable
{
    private readonly string _idStem = Guid.NewGuid().ToString("N")[..16] + "-";
    private long _idCounter;

    private readonly Timer _keepAlive;
    private Connection _head;
    private readonly ConnectionPool _pool;
    private readonly CodeShipper _code;
    private readonly TaskSubmitter _submitter;
    private readonly ClientObjects _objects;
    private readonly ClientOptions _options;
    private readonly CancellationTokenSource _disposing = new();
    private LocalCluster? _ownedCluster;
    private ClusterView _view;
    private int _disposed;

    private GranaryClient(string headAddress, string jobId, Connection head, ConnectionPool pool, ValueSerializer serializer, ClientOptions options, ClusterView view)
    {
        HeadAddress = headAddress;
        JobId = jobId;
        _head = head;
        _pool = pool;
        _options = options;
        _view = view;
        _objects = new ClientObjects(jobId, serializer, pool);
        _code = new CodeShipper(jobId, RequestHeadAsync, [.. options.Serializers.Select(s => s.GetType())]);
        _submitter = new TaskSubmitter(jobId, RequestHeadAsync, pool);
        _keepAlive = new Timer(_ => _ = KeepAliveAsync(), null, options.KeepAliveInterval, options.KeepAliveInterval);
    }

    /// <summary>Keeps the job known to the head: after a head restart the client reconnects and the job carries on.</summary>
    private async Task KeepAliveAsync()
    {
        if (!_head.IsClosed || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            _head = await _pool.GetAsync(HeadAddress, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException or ConnectionClosedException)
        {
            // The head is still away; try again on the next tick.
        }
    }

    /// <summary>The head silo's host:port.</summary>
    public string HeadAddress { get; }

    /// <summary>This client's job id; every task, object and owned actor it creates belongs to it.</summary>
    public string JobId { get; }

    /// <summary>The embedded cluster this client started, when it came from <see cref="LocalCluster.StartAsync"/>.</summary>
    public LocalCluster? Cluster => _ownedCluster;

    /// <summary>Assemblies this client uploaded (code shipping sends only what the head lacks).</summary>
    public int UploadedAssemblies => _code.UploadedAssemblies;

    /// <summary>Stored objects this client freed because nothing referred to them any more.</summary>
    public long FreedObjects => _objects.Freed;

    /// <summary>Bytes of object values this client pulled from silo stores.</summary>
    public long BytesFetched => _objects.BytesFetched;

    /// <summary>Joins a running cluster through its head, e.g. "10.0.0.5:6380".</summary>
    public static async Task<GranaryClient> ConnectAsync(string headAddress, ClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(headAddress);
        options ??= new ClientOptions();
        var jobId = "job-" + Guid.NewGuid().ToString("N")[..16];
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Granary.Client");
        var serializer = new ValueSerializer([.. options.Serializers]);
        GranaryClient? client = null;
        ConnectionPool? poolRef = null;
        var handler = new ClientMessageHandler(
            (connection, reason) => client?.OnConnectionClosed(connection, reason),
            died => poolRef?.TryGetOpen(died.Address)?.Close($"the head declared node {died.NodeId} dead: {died.Reason}"));
        Hello MakeHello() => new() { Role = PeerRole.Client, NodeId = jobId, JobId = jobId };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ObjectChunkBytes, nameof(options.ObjectChunkBytes));
        var pool = new ConnectionPool(MakeHello, handler, logger, new TransportOptions { ObjectChunkBytes = options.ObjectChunkBytes });
        poolRef = pool;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        Connection head;
        try
        {
            head = await pool.GetAsync(headAddress, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException or ConnectionClosedException)
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw new GranaryException($"Cannot reach the Granary head at {headAddress}: {ex.Message}. Is 'granary start --head' running there?", ex);
        }

        var view = (await head.RequestAsync(new Envelope { GetClusterView = new GetClusterView() }, timeout.Token).ConfigureAwait(false)).ClusterView;
        client = new GranaryClient(headAddress, jobId, head, pool, serializer, options, view);
        return client;
    }

    /// <summary>Ends the job: owned actors die, objects are freed, leases return. Stops the embedded cluster if this client started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await SayGoodbyeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _submitter.DisposeAsync().ConfigureAwait(false);
        await _objects.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        if (_ownedCluster is not null)
        {
            await _ownedCluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void OwnCluster(LocalCluster cluster) => _ownedCluster = cluster;

    /// <summary>Ends the job at the head right away; without it the head waits out a reconnect grace period.</summary>
    private async Task SayGoodbyeAsync()
    {
        if (_head.IsClosed)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _head.RequestAsync(new Envelope { JobEnded = new JobEnded { JobId = JobId } }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException or GranaryException)
        {
            // The head is gone or slow; it ends the job when the connection drops and the grace period passes.
        }
    }

    /// <summary>Calls the head, re-dialing it if its connection dropped (e.g. the head restarted with --redis).</summary>
    internal async Task<Envelope> RequestHeadAsync(Envelope request, CancellationToken cancellationToken)
    {
        var head = _head.IsClosed ? await _pool.GetAsync(HeadAddress, cancellationToken).ConfigureAwait(false) : _head;
        return await head.RequestAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The nodes as the head last described them.</summary>
    internal async Task<ClusterView> RefreshViewAsync(CancellationToken cancellationToken)
    {
        var reply = await RequestHeadAsync(new Envelope { GetClusterView = new GetClusterView() }, cancellationToken).ConfigureAwait(false);
        return _view = reply.ClusterView;
    }

    /// <summary>Lists the nodes of the cluster with their resources.</summary>
    public async Task<IReadOnlyList<NodeDescription>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var view = await RefreshViewAsync(cancellationToken).ConfigureAwait(false);
        return view.Nodes.Select(n => new NodeDescription(n.NodeId, n.Address, n.IsHead, n.Alive, n.Total.Amounts.ToDictionary(), n.Available.Amounts.ToDictionary())).ToList();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void OnConnectionClosed(Connection connection, string reason)
    {
        // Calls on the connection already failed with the reason; nothing else holds state per connection.
    }

    /// <summary>
    /// A fresh id: this client's random stem plus a counter. Unique across clients (the stem is 64 random
    /// bits) and cheap: a Guid per call cost a getrandom syscall for every task and Put.
    /// </summary>
    private string NewId(string prefix) => string.Concat(prefix, _idStem, Interlocked.Increment(ref _idCounter).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
}
