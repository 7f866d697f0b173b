using System.Net;
using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Granary.Grains.Hosting;

/// <summary>
/// An Orleans client connected to a Granary cluster through one gateway: what `granary status`, a joining
/// silo, a worker process and <c>GranaryClient.ConnectAsync</c> use. Connecting retries until the timeout,
/// so a cluster still starting is waited for, and a cluster that is not there fails with one line naming
/// the address and what to start. Disposing disconnects.
/// </summary>
internal sealed class ClusterClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClientHost(IHost host, Security.ClusterTls? tls)
    {
        _host = host;
        Tls = tls;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The certificate this client connected with; null over plain TCP. Further connections (direct routes to nodes) use it too.</summary>
    public Security.ClusterTls? Tls { get; }

    public IClusterClient Client { get; }

    public IHeadGrain Head => Client.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey);

    /// <summary>
    /// Connects to the gateway at <paramref name="address"/> (host:port), waiting up to <paramref name="timeout"/>;
    /// over mutual TLS with <paramref name="tls"/>'s certificate when given.
    /// </summary>
    public static async Task<ClusterClientHost> ConnectAsync(string address, string clusterId, TimeSpan timeout, ILoggerFactory? logging, Security.ClusterTls? tls, Action<IClientBuilder>? configure, CancellationToken cancellationToken)
    {
        var endpoint = ParseEndpoint(address);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Exception? last = null;
        var refusals = 0;
        var builder = GranaryHostBuilder.Create();
        if (logging is not null)
        {
            builder.Services.AddSingleton(logging);
        }

        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoint);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = GranaryDefaults.ServiceId;
            });
            client.AddGranaryClientServices();
            tls?.ConfigureClient(client);
            client.UseConnectionRetryFilter(async (exception, token) =>
            {
                last = exception;
                if (deadline.IsCancellationRequested || IsTlsFailure(exception))
                {
                    return false;
                }

                // A gateway that accepts the TCP connection and closes it before Orleans' preamble is one that
                // wants TLS (or refuses this certificate); a silo still starting refuses the connection instead.
                // A few in a row settle it, so the caller hears why in a second rather than at the timeout.
                if (IsClosedBeforePreamble(exception) && ++refusals >= ClosedBeforePreambleLimit)
                {
                    return false;
                }

                await Task.Delay(200, token).ConfigureAwait(false);
                return !deadline.IsCancellationRequested;
            });
            configure?.Invoke(client);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var reason = last is not null && (IsTlsFailure(last) || IsClosedBeforePreamble(last))
                ? TlsReason(last, tls)
                : deadline.IsCancellationRequested
                    ? $"timed out after {timeout.TotalSeconds:0.#} s" + (last is null ? string.Empty : $" ({Reason(last)})")
                    : Reason(ex);
            throw new HeadUnreachableException(address, reason, ex);
        }

        return new ClusterClientHost(host, tls);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping is best effort; the process may be going away.
        }

        _host.Dispose();
    }

    /// <summary>"host:port" as an endpoint; a host name is resolved once, here.</summary>
    public static IPEndPoint ParseEndpoint(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{address}' is not host:port (for example 127.0.0.1:6380).");
        }

        var host = address[..colon].Trim('[', ']');
        var ip = IPAddress.TryParse(host, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new FormatException($"'{host}' in '{address}' does not resolve to an IPv4 address.");
        return new IPEndPoint(ip, port);
    }

    private const int ClosedBeforePreambleLimit = 3;

    private static bool IsTlsFailure(Exception exception) =>
        Chain(exception).Any(e => e is System.Security.Authentication.AuthenticationException);

    private static bool IsClosedBeforePreamble(Exception exception) =>
        Chain(exception).Any(e => e is InvalidOperationException && e.Message.Contains("terminated prematurely", StringComparison.Ordinal));

    private static string TlsReason(Exception exception, Security.ClusterTls? tls) => tls is null
        ? "the gateway closed the connection before Orleans' handshake, as a silo running `granary start --tls` does with a client that has no certificate. " +
          $"Connect with a certificate of its CA: `--tls DIR` for a silo, ${Security.ClusterCertificateFiles.TlsVariable} or ClientOptions.TlsDirectory for a client (a folder from `granary cert issue`)"
        : $"the TLS handshake failed with the certificate in {tls.Directory} ({Reason(exception)}). The gateway must run --tls with a node certificate of the same CA, and accept this one: is it from that cluster's `granary cert issue`?";

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Reason(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null && inner is AggregateException or OrleansException)
        {
            inner = inner.InnerException;
        }

        return inner.Message.TrimEnd('.');
    }
}
