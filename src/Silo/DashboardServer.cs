using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;

namespace Granary.Silo;

/// <summary>
/// The head's dashboard (`granary start --head --dashboard-port N`): Kestrel on the silo's --host address serves
/// the page and its script (embedded, so the page works with no network beyond the head), and /api/status, the
/// head's report as `granary status --json` prints it, asked through the head silo's own grain factory. The page
/// polls that; nothing is pushed, so a page left open costs the head one report a second and no state.
/// Thread-safe: Kestrel serves requests concurrently, and each asks the head afresh.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    public const string StatusPath = "/api/status";

    // The head answers from memory; a report slower than this means the head is stuck, and the page says so.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _web;

    private DashboardServer(WebApplication web, int port)
    {
        _web = web;
        Port = port;
    }

    /// <summary>The port it listens on: the one asked for, or the one Kestrel picked for port 0.</summary>
    public int Port { get; }

    public static async Task<DashboardServer> StartAsync(IGrainFactory grains, string headAddress, IPAddress ip, int port, Grains.Security.ClusterTls? tls, CancellationToken cancellationToken)
    {
        // An empty builder, as for the metrics endpoint: no configuration files, environment variables or log
        // providers of its own, so the page behaves the same wherever the head runs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => Grains.Security.ClusterTls.Listen(kestrel, ip, port, tls));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(context => ServeAsync(context, grains, headAddress));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (SiloHost.IsAddressInUse(ex))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new PortInUseException($"port {port} (the dashboard port, --dashboard-port)", ex, "--dashboard-port");
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return new DashboardServer(app, bound is null ? port : new Uri(bound).Port);
    }

    private static Task ServeAsync(HttpContext context, IGrainFactory grains, string headAddress)
    {
        // The page only reads.
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        return context.Request.Path.Value switch
        {
            StatusPath => StatusAsync(context, grains, headAddress),
            "/" or "/index.html" => DashboardAssets.WriteAsync(context, "dashboard.html", "text/html; charset=utf-8"),
            "/dashboard.js" => DashboardAssets.WriteAsync(context, "dashboard.js", "text/javascript; charset=utf-8"),
            "/dashboard.css" => DashboardAssets.WriteAsync(context, "dashboard.css", "text/css; charset=utf-8"),
            _ => NotFound(context),
        };
    }

    private static async Task StatusAsync(HttpContext context, IGrainFactory grains, string headAddress)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json; charset=utf-8";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(AskTimeout);
        string body;
        try
        {
            var (report, silos) = await StatusCommand.AskWithMembershipAsync(grains, timeout.Token).ConfigureAwait(false);
            body = StatusCommand.ToJson(report, headAddress, silos).ToJsonString(Compact);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The page keeps its last figures and shows this line until the head answers again.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            body = JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = $"the head did not answer: {ex.GetType().Name}: {ex.Message}" }, Compact);
        }

        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _web.DisposeAsync().ConfigureAwait(false);
    }
}
