using System.Net;
using Granary.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>
/// A running silo: Kestrel listening for Granary connections, over the silo runtime. The embedded cluster
/// and the `granary start` command both use this, so they run the same code over the same TCP transport.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    private SiloHost(WebApplication app, SiloRuntime runtime)
    {
        _app = app;
        Runtime = runtime;
    }

    /// <summary>host:port this silo listens on.</summary>
    public string Address => Runtime.Address;

    public string NodeId => Runtime.NodeId;

    public bool IsHead => Runtime.Head is not null;

    internal SiloRuntime Runtime { get; }

    public static async Task<SiloHost> StartAsync(SiloOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.WorkerStartInfo ??= WorkerStartInfo;
        options.Validate();
        var store = options.IsHead && options.RedisAddress is { } redis
            ? await Grains.Head.Persistence.RedisHeadStore.ConnectAsync(redis, cancellationToken).ConfigureAwait(false)
            : null;
        var runtime = new SiloRuntime(options, store);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is not null)
        {
            builder.Services.AddSingleton(options.LoggerFactory);
        }

        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, PassiveHostLifetime>();
        var ip = IPAddress.TryParse(options.Host, out var parsed) ? parsed : IPAddress.Loopback;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(ip, options.Port, listen => listen.UseConnectionHandler<SiloConnectionHandler>());
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var host = new SiloHost(app, runtime);
        try
        {
            await runtime.StartAsync($"{options.Host}:{port}", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>Stops at once, as a crash would (no draining, no goodbye to the head); for failure tests.</summary>
    internal async ValueTask KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await Runtime.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
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

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host
            ? host
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

        await Runtime.DrainAsync(CancellationToken.None).ConfigureAwait(false);
        await Runtime.DisposeAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
