using Granary.Client;
using Granary.Client.Actors;
using Granary.Client.Code;
using Granary.Client.Submission;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Grains.Hosting;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans;

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

    // Null in an in-cluster client: the job is the driver's, and only the driver keeps it alive.
    private readonly Timer? _keepAlive;
    private readonly IClusterClient _orleans;

    // The Orleans connection this client opened itself (ConnectAsync by address); a user's own stays theirs.
    private readonly IAsyncDisposable? _ownedConnection;
    private readonly NodeChannels _nodes;
    private readonly ActorRoutes _actorRoutes;

    // Direct Orleans connections to worker nodes; only when this client opened its own connection.
    private readonly DirectRoutes? _routes;
    private readonly IJobObserver? _observer;

    // Orleans holds a client's observers weakly: this keeps the one the head calls alive with the client.
    private readonly JobObserver? _observerTarget;
    private readonly ICodeShipping _code;
    private readonly TaskSubmitter _submitter;

    // The owner of what this client creates: the driver's ClientObjects, or, in an in-cluster client, the job's
    // objects in the process the submitting task runs in (as in Ray, the worker that submits owns the results).
    private readonly IObjectOwner _objects;
    private readonly ClientObjects? _clientObjects;
    private readonly ITaskObjects? _taskObjects;
    private readonly ClientOptions _options;
    private readonly CancellationTokenSource _disposing = new();
    private LocalCluster? _ownedCluster;
    private ClusterView _view;

    // Milliseconds a cached view of the nodes serves store choices before the head is asked again.
    private const long ViewMaxAge = 1000;
    private long _viewAt = Environment.TickCount64;
    private int _disposed;

    // Environment.TickCount64 when the head stopped answering; 0 while it answers.
    private long _headLostAt;
    private readonly ILogger _logger;
    private static readonly TimeSpan MinKeepAliveAnswer = TimeSpan.FromSeconds(1);
    private int _keepAliveBusy;

    private GranaryClient(string headAddress, string jobId, IClusterClient cluster, IAsyncDisposable? ownedConnection, ValueSerializer serializer, ClientOptions options, ClusterView view)
    {
        HeadAddress = headAddress;
        JobId = jobId;
        _orleans = cluster;
        _ownedConnection = ownedConnection;
        _options = options;
        _view = view;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Granary.Client");
        _routes = ownedConnection is not null && options.DirectRoutes ? new DirectRoutes(options.ClusterId, options.ConnectTimeout, options.LoggerFactory, (ownedConnection as ClusterClientHost)?.Tls) : null;
        _nodes = new NodeChannels(cluster, _routes, headAddress);
        _logs = new DriverLogs(options.LogToDriver, _logger) { Sender = this };
        _observerTarget = new JobObserver(_nodes, _logs);
        _actorRoutes = new ActorRoutes(_nodes, () => Head, _disposing.Token);
        _observer = cluster.CreateObjectReference<IJobObserver>(_observerTarget);
        _objects = _clientObjects = new ClientObjects(jobId, serializer, _nodes, options.ObjectChunkBytes) { Client = this };
        _code = new CodeShipper(jobId, () => Head, [.. options.Serializers.Select(s => s.GetType())], options.Settings(), options.MaxCodeBytes);
        _submitter = new TaskSubmitter(jobId, () => Head, _nodes);
        _keepAlive = new Timer(_ => _ = KeepAliveAsync(), null, options.KeepAliveInterval, options.KeepAliveInterval);
    }

    /// <summary>An in-cluster client: the running job's, inside the process that runs its task (see GranaryClient.InCluster.cs).</summary>
    private GranaryClient(string jobId, IClusterClient cluster, ITaskObjects objects, ICodeShipping code, ClientOptions options)
    {
        HeadAddress = string.Empty;
        JobId = jobId;
        _orleans = cluster;
        _options = options;
        _view = new ClusterView();
        _viewAt = Environment.TickCount64 - ViewMaxAge;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Granary.Client");
        _nodes = new NodeChannels(cluster, routes: null, headAddress: null);
        _actorRoutes = new ActorRoutes(_nodes, () => Head, _disposing.Token);
        _objects = _taskObjects = objects;
        _code = code;
        _submitter = new TaskSubmitter(jobId, () => Head, _nodes);
    }

    /// <summary>The head grain, through this client's Orleans connection.</summary>
    internal IHeadGrain Head => _orleans.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey);

    /// <summary>The Orleans client underneath, for calling your own grains in the same cluster.</summary>
    public IClusterClient ClusterClient => _orleans;

    /// <summary>
    /// Keeps the job alive at the head, and after a head restart registers it again (with its observer), so
    /// the job carries on. A head that hears nothing from the job for its grace period ends it.
    /// </summary>
    private async Task KeepAliveAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _keepAliveBusy, 1) != 0)
        {
            // A check still waiting for its answer decides; two in flight could answer out of order and make
            // the head look lost and back again.
            return;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(KeepAliveAnswerTimeout);
            await Head.JobConnected(JobId, _observer!, timeout.Token).ConfigureAwait(false);
            HeadAnswered(true, error: null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || TransientErrors.IsTransient(ex))
        {
            // The head is away for now; the next tick tries again.
            if (Volatile.Read(ref _disposed) == 0)
            {
                HeadAnswered(false, ex);
            }
        }
        finally
        {
            Volatile.Write(ref _keepAliveBusy, 0);
        }
    }

    /// <summary>
    /// How long a keep-alive waits for its answer: a head that just restarted, or one on a busy machine, can
    /// take longer than a short interval to answer, which must not read as the head going away. A head that
    /// is gone fails the call at once (its connection is refused), so this does not slow noticing that.
    /// </summary>
    private TimeSpan KeepAliveAnswerTimeout => _options.KeepAliveInterval > MinKeepAliveAnswer ? _options.KeepAliveInterval : MinKeepAliveAnswer;

    /// <summary>
    /// Raised when the head stops answering this client's keep-alive, and again when it answers after that:
    /// a head restart, or a network split. Raised on a timer thread; a handler that throws is logged.
    /// </summary>
    public event EventHandler<HeadConnectionChangedEventArgs>? HeadConnectionChanged;

    /// <summary>False from a keep-alive the head did not answer until the next it answers.</summary>
    public bool HeadReachable => Volatile.Read(ref _headLostAt) == 0;

    /// <summary>Notes a keep-alive's outcome; on a change, logs it and raises <see cref="HeadConnectionChanged"/>.</summary>
    private void HeadAnswered(bool reachable, Exception? error)
    {
        HeadConnectionChangedEventArgs change;
        if (reachable)
        {
            var lostAt = Interlocked.Exchange(ref _headLostAt, 0);
            if (lostAt == 0)
            {
                return;
            }

            var away = TimeSpan.FromMilliseconds(Environment.TickCount64 - lostAt);
            LogHeadBack(_logger, HeadAddress, away.TotalSeconds);
            change = new HeadConnectionChangedEventArgs(true, HeadAddress, null, away);
        }
        else
        {
            if (Interlocked.CompareExchange(ref _headLostAt, Math.Max(1, Environment.TickCount64), 0) != 0)
            {
                return;
            }

            LogHeadLost(_logger, HeadAddress, error?.Message ?? "no answer");
            change = new HeadConnectionChangedEventArgs(false, HeadAddress, error, TimeSpan.Zero);
        }

        try
        {
            HeadConnectionChanged?.Invoke(this, change);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Granary head at {Head} is unreachable ({Reason}); work on nodes carries on, and the client reconnects when it answers")]
    private static partial void LogHeadLost(ILogger logger, string head, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Granary head at {Head} answers again after {Seconds:0.#} s")]
    private static partial void LogHeadBack(ILogger logger, string head, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "A HeadConnectionChanged handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);

    /// <summary>Nodes this client reaches over a direct route (see <see cref="ClientOptions.DirectRoutes"/>).</summary>
    internal IReadOnlyList<string> RoutedNodes => _nodes.Routed;

    /// <summary>Whether the head has told this client that the node died (tests wait for it before they call).</summary>
    internal bool HeardNodeDied(string nodeId) => _nodes.Get(nodeId).IsDead;

    /// <summary>The head silo's host:port; empty in an in-cluster client (<c>TaskContext.Client</c>).</summary>
    public string HeadAddress { get; }

    /// <summary>This client's job id; every task, object and owned actor it creates belongs to it.</summary>
    public string JobId { get; }

    /// <summary>The embedded cluster this client started, when it came from <see cref="LocalCluster.StartAsync"/>.</summary>
    public LocalCluster? Cluster => _ownedCluster;

    /// <summary>Assemblies this client uploaded (code shipping sends only what the head lacks).</summary>
    public int UploadedAssemblies => _code.UploadedAssemblies;

    /// <summary>Stored objects this client freed because nothing referred to them any more.</summary>
    public long FreedObjects => _clientObjects?.Freed ?? 0;

    /// <summary>Bytes of object values this client pulled from silo stores.</summary>
    public long BytesFetched => _clientObjects?.BytesFetched ?? 0;

    /// <summary>
    /// Joins a running cluster through its head, e.g. "10.0.0.5:6380", or by the name it was saved under
    /// (`granary connect NAME --address host:port`), e.g. "lab": a name has no ':' in it.
    /// </summary>
    public static Task<GranaryClient> ConnectAsync(string headAddress, ClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(headAddress, options, defaultTls: null, cancellationToken);

    /// <summary>As the public overload; <paramref name="defaultTls"/> is the folder used when the options name none (an embedded TLS cluster's node certificate).</summary>
    internal static async Task<GranaryClient> ConnectAsync(string headAddress, ClientOptions? options, string? defaultTls, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(headAddress);
        options ??= new ClientOptions();
        var tlsDirectory = options.TlsDirectory ?? defaultTls;
        if (Runtime.Clusters.SavedClusters.IsName(headAddress))
        {
            var saved = Runtime.Clusters.SavedClusters.Resolve(headAddress);
            headAddress = saved.Address;
            tlsDirectory ??= saved.Tls;
        }

        options.Validate();
        var tls = Grains.Security.ClusterTls.LoadOrEnvironment(tlsDirectory ?? Runtime.Clusters.SavedClusters.TlsFor(headAddress));
        var cluster = await ClusterClientHost.ConnectAsync(headAddress, options.ClusterId, options.ConnectTimeout, options.LoggerFactory, tls, configure: null, cancellationToken).ConfigureAwait(false);
        try
        {
            return await StartJobAsync(headAddress, cluster.Client, cluster, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a job over an Orleans client of your own, built with <c>UseGranaryClient()</c> and started:
    /// Granary's calls share its connection with your grain calls. Disposing the returned client ends the
    /// job and leaves <paramref name="clusterClient"/> connected.
    /// </summary>
    public static Task<GranaryClient> ConnectAsync(IClusterClient clusterClient, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusterClient);
        var registration = clusterClient.ServiceProvider.GetService(typeof(GranaryClientRegistration)) as GranaryClientRegistration
            ?? throw new InvalidOperationException("This Orleans client was built without Granary: call UseGranaryClient() on its IClientBuilder (in UseOrleansClient), then connect.");
        return StartJobAsync(headAddress: null, clusterClient, ownedConnection: null, registration.Options, cancellationToken);
    }

    /// <summary>Registers a new job with the head over <paramref name="orleans"/>; the head's address comes from the cluster when not given.</summary>
    private static async Task<GranaryClient> StartJobAsync(string? headAddress, IClusterClient orleans, IAsyncDisposable? ownedConnection, ClientOptions options, CancellationToken cancellationToken)
    {
        var jobId = "job-" + Guid.NewGuid().ToString("N")[..16];
        var serializer = new ValueSerializer([.. options.Serializers]);
        var head = orleans.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey);
        GranaryClient? client = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            var view = await head.GetClusterView(timeout.Token).ConfigureAwait(false);
            headAddress ??= view.Nodes.FirstOrDefault(n => n.IsHead)?.Address ?? string.Empty;
            client = new GranaryClient(headAddress, jobId, orleans, ownedConnection, serializer, options, view);
            await head.JobConnected(jobId, client._observer!, timeout.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is not GranaryException)
        {
            if (client is not null)
            {
                await client._keepAlive!.DisposeAsync().ConfigureAwait(false);
            }

            var where = headAddress is null ? "through this Orleans client" : "at " + headAddress;
            throw new GranaryException($"Cannot reach the Granary head {where}: {ex.Message.TrimEnd('.')}. Is 'granary start --head' running there?", ex);
        }
    }

    /// <summary>Ends the job: owned actors die, objects are freed, leases return. Stops the embedded cluster if this client started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _submitter.DisposeAsync().ConfigureAwait(false);
        if (_keepAlive is null)
        {
            // In-cluster: the job is the driver's to end, and its objects here go with the job's code.
            await _disposing.CancelAsync().ConfigureAwait(false);
            return;
        }

        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await _clientObjects!.DisposeAsync().ConfigureAwait(false);
        await SayGoodbyeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_routes is not null)
        {
            await _routes.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownedConnection is not null)
        {
            await _ownedConnection.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownedCluster is not null)
        {
            await _ownedCluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void OwnCluster(LocalCluster cluster) => _ownedCluster = cluster;

    /// <summary>Ends the job at the head right away; without it the head waits out the job's grace period.</summary>
    private async Task SayGoodbyeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Head.JobFinished(JobId, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or GranaryException || TransientErrors.IsTransient(ex))
        {
            // The head is gone or slow; it ends the job when the grace period passes.
        }
    }

    /// <summary>The nodes as the head last described them.</summary>
    internal async Task<ClusterView> RefreshViewAsync(CancellationToken cancellationToken)
    {
        var view = await Head.GetClusterView(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _viewAt, Environment.TickCount64);
        return _view = view;
    }

    /// <summary>
    /// The nodes as last seen, asking the head again only when that is older than <see cref="ViewMaxAge"/>:
    /// choosing a store for each Put must not cost a head round trip. Nodes that died since are skipped by
    /// the caller through their channels.
    /// </summary>
    internal ValueTask<ClusterView> RecentViewAsync(CancellationToken cancellationToken) =>
        Environment.TickCount64 - Volatile.Read(ref _viewAt) < ViewMaxAge
            ? ValueTask.FromResult(_view)
            : new ValueTask<ClusterView>(RefreshViewAsync(cancellationToken));

    /// <summary>Lists the nodes of the cluster with their resources.</summary>
    public async Task<IReadOnlyList<NodeDescription>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var view = await RefreshViewAsync(cancellationToken).ConfigureAwait(false);
        return view.Nodes.Select(n => new NodeDescription(n.NodeId, n.Address, n.IsHead, n.Alive, n.Total.Amounts.ToDictionary(), n.Available.Amounts.ToDictionary())).ToList();
    }

    /// <summary>The GPU memory profiles the head keeps, one per job type (see <see cref="RemoteOptions.GpuMemory"/>).</summary>
    public async Task<IReadOnlyList<GpuProfile>> GetGpuProfilesAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var status = await Head.GetStatus(cancellationToken).ConfigureAwait(false);
        return [.. status.GpuProfiles.Select(p => new GpuProfile(p.JobType, p.State, p.PeakBytes, p.Runs, p.Failures, p.OutOfMemory, p.Outgrown, p.LastError))];
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// A fresh id: this client's random stem plus a counter. Unique across clients (the stem is 64 random
    /// bits) and cheap: a Guid per call cost a getrandom syscall for every task and Put.
    /// </summary>
    private string NewId(string prefix) => string.Concat(prefix, _idStem, Interlocked.Increment(ref _idCounter).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
}
