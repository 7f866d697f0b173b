using System.Net;
using System.Net.Sockets;
using Granary.Grains;
using Granary.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using SiloOptions = Granary.Grains.SiloOptions;

namespace Granary.Silo;

/// <summary>
/// A running Granary silo: a Generic Host with an Orleans silo and <c>UseGranary</c>. The embedded cluster
/// and `granary start` both use this, so they run the same code over the same Orleans messaging. The head
/// is the primary silo of Orleans development clustering, or with Redis every silo keeps membership there;
/// a worker asks the head which, before it starts its silo.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly IHost _host;
    private int _stopped;

    private SiloHost(IHost host)
    {
        _host = host;
        Runtime = host.Services.GetRequiredService<SiloRuntime>();
    }

    /// <summary>host:port of this silo's gateway, where clients connect.</summary>
    public string Address => Runtime.Address;

    public string NodeId => Runtime.NodeId;

    public bool IsHead => Runtime.Head is not null;

    internal SiloRuntime Runtime { get; }

    /// <summary>The silo's services (Orleans' and Granary's), for tests and embedding.</summary>
    public IServiceProvider Services => _host.Services;

    public static async Task<SiloHost> StartAsync(SiloOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WorkerStartInfo ??= WorkerStartInfo;
        options.Validate();
        var ip = ResolveHost(options.Host);
        var join = options.IsHead ? null : await JoinAsync(options, cancellationToken).ConfigureAwait(false);
        if (options.IsHead && options.RedisAddress is { } redis && options.HeadStore is null)
        {
            options.HeadStore = await Grains.Head.Persistence.RedisHeadStore.ConnectAsync(redis, cancellationToken).ConfigureAwait(false);
        }

        var gatewayPort = options.Port != 0 ? options.Port : FreePort(ip);
        var siloPort = options.SiloPort != 0 ? options.SiloPort : options.Port != 0 ? options.Port + 1 : FreePort(ip);
        var redisAddress = options.IsHead ? options.RedisAddress : join!.Redis is { Length: > 0 } r ? r : null;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is not null)
        {
            builder.Services.AddSingleton(options.LoggerFactory);
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
            silo.ConfigureEndpoints(ip, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            if (redisAddress is not null)
            {
                silo.UseRedisClustering(redisAddress);
            }
            else
            {
                var primary = options.IsHead ? new IPEndPoint(ip, siloPort) : ClusterClientHost.ParseEndpoint(join!.PrimarySiloEndpoint);
                silo.UseDevelopmentClustering(primary);
            }

            silo.Configure<ClusterMembershipOptions>(o => FailureDetection.Configure(o, options.NodeDeadTimeout));
            silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = options.MaxFrameBytes);
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

        return new SiloHost(host);
    }

    /// <summary>Asks the head, as a client of its gateway, how to join: the cluster's membership and ids.</summary>
    private static async Task<Runtime.Wire.ClusterConfig> JoinAsync(SiloOptions options, CancellationToken cancellationToken)
    {
        var cluster = await ClusterClientHost.ConnectAsync(options.HeadAddress!, options.ClusterId, options.JoinTimeout, options.LoggerFactory, configure: null, cancellationToken).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.JoinTimeout);
            return await cluster.Head.GetClusterConfig(timeout.Token).ConfigureAwait(false);
        }
    }

    private static IPAddress ResolveHost(string host) =>
        IPAddress.TryParse(host, out var parsed) ? parsed : ClusterClientHost.ParseEndpoint(host + ":1").Address;

    /// <summary>A port free right now: Orleans needs a fixed port, so "any free port" is chosen here.</summary>
    private static int FreePort(IPAddress ip)
    {
        using var probe = new TcpListener(ip, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stops at once, as a crash would (no draining, no goodbye to the head); for failure tests.</summary>
    internal async ValueTask KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Runtime.Killed = true;
        try
        {
            await _host.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // An ungraceful stop ends early by design.
        }

        _host.Dispose();
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

        using var timeout = new CancellationTokenSource(Runtime.Options.DrainTimeout + TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping took too long; what is left stops with the host.
        }

        _host.Dispose();
    }
}
