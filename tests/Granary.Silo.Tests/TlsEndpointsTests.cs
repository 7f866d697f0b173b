using System.Net;
using System.Security.Cryptography.X509Certificates;
using Granary.Grains;
using Granary.Grains.Security;

namespace Granary.Silo.Tests;

/// <summary>
/// A TLS silo's web endpoints (the Prometheus scrape and the head's dashboard) are HTTPS with the node's
/// certificate and answer only callers holding a certificate of the cluster's CA: what they show is the
/// cluster's, so they are closed to the same peers the Orleans ports are.
/// </summary>
public sealed class TlsEndpointsTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-tlsweb-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloHost _head = null!;

    public async Task InitializeAsync()
    {
        var ca = Path.Combine(_root, "ca");
        ClusterCertificates.CreateAuthority(ca);
        ClusterCertificates.Issue(ca, CertificateRole.Node, "node", Path.Combine(_root, "node"));
        ClusterCertificates.Issue(ca, CertificateRole.Client, "alice", Path.Combine(_root, "alice"));
        var other = Path.Combine(_root, "other");
        ClusterCertificates.CreateAuthority(other);
        ClusterCertificates.Issue(other, CertificateRole.Client, "alice", Path.Combine(_root, "other-alice"));
        _head = await SiloHost.StartAsync(new GranarySiloOptions
        {
            Cpus = 1,
            TlsDirectory = Path.Combine(_root, "node"),
            MetricsPort = PortPicker.Pick(IPAddress.Loopback),
            DashboardPort = 0,
        }).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _head.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Metrics_and_dashboard_answer_over_https_only_to_a_certificate_of_the_clusters_CA()
    {
        var metrics = _head.MetricsUrl!;
        var status = _head.DashboardUrl! + "api/status";
        Assert.StartsWith("https://", metrics);
        Assert.StartsWith("https://", status);

        using (var member = Client(ClusterTls.Load(Path.Combine(_root, "alice")).Certificate))
        {
            var scrape = await member.GetStringAsync(metrics).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("granary_", scrape);
            var report = await member.GetStringAsync(status).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(_head.NodeId, report);
        }

        foreach (var stranger in new[] { ClusterTls.Load(Path.Combine(_root, "other-alice")).Certificate, null })
        {
            using var refused = Client(stranger);
            await Assert.ThrowsAsync<HttpRequestException>(() => refused.GetStringAsync(metrics)).WaitAsync(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAsync<HttpRequestException>(() => refused.GetStringAsync(status)).WaitAsync(TimeSpan.FromSeconds(30));
        }

        using var plain = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetStringAsync(metrics.Replace("https://", "http://", StringComparison.Ordinal))).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>An HTTP client that presents <paramref name="certificate"/> and takes the node's certificate (the test checks the silo's side).</summary>
    private static HttpClient Client(X509Certificate2? certificate)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        if (certificate is not null)
        {
            handler.ClientCertificates.Add(certificate);
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }
}
