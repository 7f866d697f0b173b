using System.Net;
using System.Net.Sockets;
using Granary.Grains;
using Granary.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using GranarySiloOptions = Granary.Grains.GranarySiloOptions;

namespace Granary.Silo;

/// <summary>
/// A running Granary silo: a Generic Host with an Orleans silo and <c>UseGranary</c>. The embedded cluster
/// and `granary start` both use this, so they run the same code over the same Orleans messaging. The head
/// is the primary silo of Orleans development clustering, or with Redis every silo keeps membership there;
/// a worker asks the head which, before it starts its silo.
/// </summary>
public sealed partial class SiloHost : IAsyncDisposable
{
    private readonly GranarySiloOptions _options;
    private readonly IPAddress _ip;
    private readonly int _gatewayPort;
    private readonly int _siloPort;
    private readonly CancellationTokenSource _stop = new();
    private IHost _host = null!;
    private Runtime.Wire.ClusterConfig? _joined;
    private Task _watch = Task.CompletedTask;

    // True between stopping the silo of a head that went away and starting the one that joins its successor.
    private bool _hostDown;
    private int _stopped;

    private SiloHost(GranarySiloOptions options, IPAddress ip, int gatewayPort, int siloPort)
    {
        _options = options;
        _ip = ip;
        _gatewayPort = gatewayPort;
        _siloPort = siloPort;
    }

    /// <summary>host:port of this silo's gateway, where clients connect.</summary>
    public string Address => Runtime.Address;

    public string NodeId => Runtime.NodeId;

    public bool IsHead => Runtime.Head is not null;

    /// <summary>The running silo's state; a worker that joins a restarted head anew gets a fresh one.</summary>
    internal SiloRuntime Runtime { get; private set; } = null!;

    /// <summary>The silo's services (Orleans' and Granary's), for tests and embedding.</summary>
    public IServiceProvider Services => _host.Services;

    public static async Task<SiloHost> StartAsync(GranarySiloOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WorkerStartInfo ??= WorkerStartInfo;
        options.Validate();
        options.NodeId ??= "node-" + Guid.NewGuid().ToString("N")[..12];
        options.Tls ??= options.TlsDirectory is { } tlsDirectory ? Grains.Security.ClusterTls.Load(tlsDirectory) : null;
        options.Tls?.RequireNode();
        var ip = ResolveHost(options.Host);
        var chosen = options.Port == 0 && options.SiloPort == 0;
        if (!chosen)
        {
            // Before anything else starts, so a taken port is one line, not Orleans' bind failure logged with
            // its stack at each lifecycle stage. The check can race another process; the catch below covers that.
            if (options.Port != 0)
            {
                EnsureFree(ip, options.Port, GatewayRole);
            }

            EnsureFree(ip, options.SiloPort != 0 ? options.SiloPort : options.Port + 1, SiloPortRole);
        }

        EnsureEndpointPortsFree(options, ip);

        if (options.IsHead && options.RedisAddress is { } redis && options.HeadStore is null)
        {
            options.HeadStore = await Grains.Head.Persistence.RedisHeadStore.ConnectAsync(redis, cancellationToken).ConfigureAwait(false);
        }

        var joined = options.IsHead ? null : await JoinAsync(options, options.JoinTimeout, cancellationToken).ConfigureAwait(false);

        // Ports this process chose itself may be taken by another process between the choice and the bind;
        // then fresh ones are chosen. Ports the user gave are theirs to change, so those fail at once.
        for (var attempt = 1; ; attempt++)
        {
            var gatewayPort = options.Port != 0 ? options.Port : PortPicker.Pick(ip);
            var siloPort = options.SiloPort != 0 ? options.SiloPort : options.Port != 0 ? options.Port + 1 : PortPicker.Pick(ip);
            var retry = chosen && attempt < ChosenPortAttempts;

            if (chosen && (!PortPicker.IsFree(ip, gatewayPort) || !PortPicker.IsFree(ip, siloPort)))
            {
                if (retry)
                {
                    continue;
                }

                EnsureFree(ip, gatewayPort, GatewayChosenRole);
                EnsureFree(ip, siloPort, SiloChosenRole);
            }

            var silo = new SiloHost(options, ip, gatewayPort, siloPort) { _joined = joined };
            try
            {
                silo._host = await silo.StartHostAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsAddressInUse(ex) && retry)
            {
                continue;
            }
            catch (Exception ex) when (IsAddressInUse(ex))
            {
                // Taken between the check and Orleans' bind. Which one is unclear now (Orleans may still hold the
                // other), so both are named.
                throw new PortInUseException(
                    $"port {gatewayPort} ({(chosen ? GatewayChosenRole : GatewayRole)}) or port {siloPort} ({(chosen ? SiloChosenRole : SiloPortRole)})", ex);
            }

            silo.Started();
            try
            {
                await silo.StartEndpointsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await silo.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return silo;
        }
    }

    private void Started()
    {
        Runtime = _host.Services.GetRequiredService<SiloRuntime>();
        if (_joined is { Redis.Length: 0 })
        {
            _watch = WatchHeadAsync();
        }
    }

    private async Task<IHost> StartHostAsync(CancellationToken cancellationToken)
    {
        var options = _options;
        var redisAddress = options.IsHead ? options.RedisAddress : _joined!.Redis is { Length: > 0 } r ? r : null;
        var builder = GranaryHostBuilder.Create();
        if (options.LoggerFactory is not null)
        {
            builder.Services.AddSingleton<ILoggerFactory>(new ConnectionLogLimiter(options.LoggerFactory));
        }

        // An embedded silo must not stop when its host application is signalled; `granary start` handles signals itself.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            silo.ConfigureEndpoints(_ip, _siloPort, _gatewayPort, listenOnAnyHostAddress: false);
            if (redisAddress is not null)
            {
                // Through Granary's reader, so the sslCa element (a private CA for a TLS server) applies to membership too.
                silo.UseRedisClustering(o => o.ConfigurationOptions = Grains.Head.Persistence.RedisConfiguration.ForMembership(redisAddress));
            }
            else
            {
                var primary = options.IsHead ? new IPEndPoint(_ip, _siloPort) : ClusterClientHost.ParseEndpoint(_joined!.PrimarySiloEndpoint);
                silo.UseDevelopmentClustering(primary);
            }

            silo.Configure<ClusterMembershipOptions>(o => FailureDetection.Configure(o, options.NodeDeadTimeout));
            silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = options.MaxFrameBytes);
            options.Tls?.ConfigureSilo(silo);
            silo.UseGranary(options);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>
    /// Without Redis the head's silo holds the membership table, so a head that restarts starts a new cluster
    /// that this worker's silo is not part of. When the head has been silent for the node timeout, the
    /// worker asks it how to join; if it is a new head, the worker starts its silo again in the new cluster
    /// (under the same node id and ports). What ran here is gone, as it is for the new head.
    /// </summary>
    private async Task WatchHeadAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, stop).ConfigureAwait(false);
                if (Runtime.HeadSilentFor < _options.NodeDeadTimeout)
                {
                    continue;
                }

                var config = await JoinAsync(_options, _options.NodeDeadTimeout, stop).ConfigureAwait(false);
                if (config.HeadGeneration == _joined!.HeadGeneration)
                {
                    continue;
                }

                if (!_hostDown)
                {
                    Runtime.Killed = true;
                    await StopHostAsync(_host, new CancellationToken(canceled: true)).ConfigureAwait(false);
                    _hostDown = true;
                }

                // StartHostAsync reads the new membership from _joined; if the start fails, the old figure goes
                // back so the next tick sees a new head again and tries once more.
                var previous = _joined;
                _joined = config;
                try
                {
                    _host = await StartHostAsync(stop).ConfigureAwait(false);
                }
                catch
                {
                    _joined = previous;
                    throw;
                }

                _hostDown = false;
                Runtime = _host.Services.GetRequiredService<SiloRuntime>();
                if (_options.LoggerFactory?.CreateLogger("Granary.Silo") is { } logger)
                {
                    LogRejoinedNewHead(logger, _options.NodeId!, _options.HeadAddress!);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                // The head is still away, slow to answer (the ask is bounded by the node timeout) or the new
                // silo could not start yet: look again on the next tick. A loaded machine makes this routine, so
                // it must never end the watch, whose fault would otherwise surface when the silo is disposed.
                if (_options.LoggerFactory?.CreateLogger("Granary.Silo") is { } logger)
                {
                    LogHeadStillAway(logger, _options.NodeId!, ex.GetType().Name, ex.Message);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo {NodeId} could not rejoin the head yet ({Kind}: {Reason}); trying again")]
    private static partial void LogHeadStillAway(ILogger logger, string nodeId, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {NodeId} joined the restarted head at {Head} anew")]
    private static partial void LogRejoinedNewHead(ILogger logger, string nodeId, string head);

    private static async Task StopHostAsync(IHost host, CancellationToken cancellationToken)
    {
        try
        {
            await host.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // An ungraceful or overdue stop ends early; what is left stops with the host.
        }

        host.Dispose();
    }

    /// <summary>Asks the head, as a client of its gateway, how to join: the cluster's membership and ids.</summary>
    private static async Task<Runtime.Wire.ClusterConfig> JoinAsync(GranarySiloOptions options, TimeSpan wait, CancellationToken cancellationToken)
    {
        var cluster = await ClusterClientHost.ConnectAsync(options.HeadAddress!, options.ClusterId, wait, options.LoggerFactory, options.Tls, configure: null, cancellationToken).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            return await cluster.Head.GetClusterConfig(timeout.Token).ConfigureAwait(false);
        }
    }

    private static string FormatHost(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();

    private static IPAddress ResolveHost(string host) =>
        IPAddress.TryParse(host, out var parsed) ? parsed : ClusterClientHost.ParseEndpoint(host + ":1").Address;

    private const string GatewayRole = "the gateway port, --port";

    private const string SiloPortRole = "the silo port, --port + 1";

    private const string GatewayChosenRole = "the gateway port, chosen free";

    private const string SiloChosenRole = "the silo port, chosen free";

    private const int ChosenPortAttempts = 5;

    private static void EnsureFree(IPAddress ip, int port, string role)
    {
        if (!PortPicker.IsFree(ip, port))
        {
            throw new PortInUseException($"port {port} ({role})");
        }
    }

    /// <summary>Whether a host's start failed because a port it binds is taken (Kestrel's and the socket's forms, however wrapped).</summary>
    internal static bool IsAddressInUse(Exception ex) =>
        ex is Microsoft.AspNetCore.Connections.AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || (ex.InnerException is { } inner && IsAddressInUse(inner))
        || (ex is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse));

    /// <summary>Stops at once, as a crash would (no draining, no goodbye to the head); for failure tests.</summary>
    internal async ValueTask KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        Runtime.Killed = true;
        if (!_hostDown)
        {
            await StopHostAsync(_host, new CancellationToken(canceled: true)).ConfigureAwait(false);
        }

        await StopEndpointsAsync().ConfigureAwait(false);
    }

    /// <summary>The `granary` executable beside this assembly, run directly or through the dotnet host.</summary>
    private static System.Diagnostics.ProcessStartInfo WorkerStartInfo()
    {
        var directory = Path.GetDirectoryName(typeof(SiloHost).Assembly.Location)!;
        var apphost = Path.Combine(directory, "granary");
        if (File.Exists(apphost))
        {
            return new System.Diagnostics.ProcessStartInfo(apphost);
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnetHost
            ? dotnetHost
            : Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        var start = new System.Diagnostics.ProcessStartInfo(dotnet);
        start.ArgumentList.Add(Path.Combine(directory, "granary.dll"));
        return start;
    }

    /// <summary>Stops gracefully: running work drains (bounded by the drain timeout), then the node leaves the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        if (!_hostDown)
        {
            // Without Redis the membership table lives in the head's silo: once the head has been silent past the
            // node timeout, a graceful leave cannot be recorded and work here cannot report back, so the stop is
            // bounded by the node timeout rather than the drain.
            var headAway = _joined is { Redis.Length: 0 } && Runtime.HeadSilentFor >= _options.NodeDeadTimeout;
            using var timeout = new CancellationTokenSource(headAway ? _options.NodeDeadTimeout : _options.DrainTimeout + TimeSpan.FromSeconds(10));
            await StopHostAsync(_host, timeout.Token).ConfigureAwait(false);
        }
        await StopEndpointsAsync().ConfigureAwait(false);
    }
}
