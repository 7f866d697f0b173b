using System.Net;
using Microsoft.Extensions.DependencyInjection;
using GranarySiloOptions = Granary.Grains.GranarySiloOptions;

namespace Granary.Silo;

/// <summary>
/// The silo's web endpoints beside Orleans': the Prometheus scrape endpoint and OTLP export
/// (<see cref="SiloTelemetry"/>) and, on the head, the dashboard (<see cref="DashboardServer"/>). They start
/// once the silo runs and stop with it, a kill included.
/// </summary>
public sealed partial class SiloHost
{
    private SiloTelemetry? _telemetry;
    private DashboardServer? _dashboard;

    /// <summary>
    /// http://host:port/metrics of this silo's Prometheus endpoint (https, with client certificates required, on a
    /// TLS silo); null without <see cref="GranarySiloOptions.MetricsPort"/>.
    /// </summary>
    public string? MetricsUrl => _options.MetricsPort is { } port ? $"{Scheme}://{FormatHost(_ip)}:{port}{SiloTelemetry.ScrapePath}" : null;

    /// <summary>http(s)://host:port/ of the head's dashboard; null on a worker and without <see cref="GranarySiloOptions.DashboardPort"/>.</summary>
    public string? DashboardUrl => _dashboard is { } dashboard ? $"{Scheme}://{FormatHost(_ip)}:{dashboard.Port}/" : null;

    private string Scheme => _options.Tls is null ? "http" : "https";

    /// <summary>Before anything starts, so a taken port is one line naming its flag rather than a failure after the silo joined.</summary>
    private static void EnsureEndpointPortsFree(GranarySiloOptions options, IPAddress ip)
    {
        if (options.MetricsPort is { } metricsPort && !PortPicker.IsFree(ip, metricsPort))
        {
            throw new PortInUseException($"port {metricsPort} (the metrics port, --metrics-port)", flag: "--metrics-port");
        }

        if (options.DashboardPort is { } dashboardPort and not 0 && !PortPicker.IsFree(ip, dashboardPort))
        {
            throw new PortInUseException($"port {dashboardPort} (the dashboard port, --dashboard-port)", flag: "--dashboard-port");
        }
    }

    private async Task StartEndpointsAsync(CancellationToken cancellationToken)
    {
        _telemetry = await SiloTelemetry.StartAsync(_options, _ip, NodeId, cancellationToken).ConfigureAwait(false);
        if (_options.DashboardPort is { } port)
        {
            // The head's own grain factory: the page's reports never leave the head's process.
            var grains = _host.Services.GetRequiredService<Orleans.IGrainFactory>();
            _dashboard = await DashboardServer.StartAsync(grains, Address, _ip, port, _options.Tls, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StopEndpointsAsync()
    {
        if (_dashboard is not null)
        {
            await _dashboard.DisposeAsync().ConfigureAwait(false);
        }

        if (_telemetry is not null)
        {
            await _telemetry.DisposeAsync().ConfigureAwait(false);
        }
    }
}
