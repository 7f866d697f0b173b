using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Granary.Silo;

/// <summary>
/// A silo's OpenTelemetry export: Granary's meter and Orleans' own on a Prometheus scrape endpoint
/// (<c>http://host:metrics-port/metrics</c>, Kestrel on the silo's --host address), and metrics and
/// Granary's spans over OTLP when an endpoint is configured (<c>--otlp-endpoint</c>, else the standard
/// OTEL_EXPORTER_OTLP_ENDPOINT variable, which the exporter reads itself along with the protocol and
/// headers variables). Lives as long as the silo's process runs the silo; a worker that rejoins a
/// restarted head keeps it, since the instruments are the process's.
/// </summary>
internal sealed class SiloTelemetry : IAsyncDisposable
{
    public const string ScrapePath = "/metrics";
    private const string OtlpVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private readonly MeterProvider _meters;
    private readonly TracerProvider? _tracer;
    private readonly WebApplication? _web;

    private SiloTelemetry(MeterProvider meters, TracerProvider? tracer, WebApplication? web)
    {
        _meters = meters;
        _tracer = tracer;
        _web = web;
    }

    /// <summary>Starts what the options ask for; null when they ask for nothing (no metrics port, no OTLP endpoint).</summary>
    public static async Task<SiloTelemetry?> StartAsync(Grains.GranarySiloOptions options, IPAddress ip, string nodeId, CancellationToken cancellationToken)
    {
        var otlp = options.OtlpEndpoint is not null || Environment.GetEnvironmentVariable(OtlpVariable) is { Length: > 0 };
        if (options.MetricsPort is null && !otlp)
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService("granary", serviceInstanceId: nodeId);
        var meters = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(GranaryTelemetry.MeterName, GranaryTelemetry.OrleansMeterName);
        if (options.MetricsPort is not null)
        {
            meters.AddPrometheusExporter();
        }

        if (otlp)
        {
            meters.AddOtlpExporter(o => Configure(o, options.OtlpEndpoint, "v1/metrics"));
        }

        var meterProvider = meters.Build();
        var tracer = otlp
            ? Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(GranaryTelemetry.ActivitySourceName).AddOtlpExporter(o => Configure(o, options.OtlpEndpoint, "v1/traces")).Build()
            : null;
        WebApplication? web = null;
        try
        {
            if (options.MetricsPort is { } port)
            {
                web = await StartScrapeEndpointAsync(meterProvider, ip, port, options.Tls, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            tracer?.Dispose();
            meterProvider.Dispose();
            throw;
        }

        return new SiloTelemetry(meterProvider, tracer, web);
    }

    /// <summary>
    /// The exporter takes an endpoint set in code as the whole URL, while OTEL_EXPORTER_OTLP_ENDPOINT is a base
    /// it adds each signal's path to (over HTTP); --otlp-endpoint is a base like the variable.
    /// </summary>
    private static void Configure(OtlpExporterOptions exporter, string? endpoint, string signalPath)
    {
        if (endpoint is not null)
        {
            exporter.Endpoint = exporter.Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint.TrimEnd('/') + "/" + signalPath)
                : new Uri(endpoint);
        }
    }

    private static async Task<WebApplication> StartScrapeEndpointAsync(MeterProvider meters, IPAddress ip, int port, Grains.Security.ClusterTls? tls, CancellationToken cancellationToken)
    {
        // An empty builder: no configuration files, environment variables or log providers of its own, so the
        // endpoint behaves the same wherever the silo runs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => Grains.Security.ClusterTls.Listen(kestrel, ip, port, tls));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: ScrapePath, configureBranchedPipeline: null, optionsName: null);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (SiloHost.IsAddressInUse(ex))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new PortInUseException($"port {port} (the metrics port, --metrics-port)", ex, "--metrics-port");
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _web.DisposeAsync().ConfigureAwait(false);
        }

        // Disposing flushes what OTLP has not sent yet.
        _tracer?.Dispose();
        _meters.Dispose();
    }
}
