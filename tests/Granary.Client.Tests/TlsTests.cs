using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Granary.Grains.Security;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>
/// Mutual TLS between silos and clients (`granary start --tls`, ClientOptions.TlsDirectory): a cluster
/// whose certificates come from one CA serves its own clients and worker processes, and refuses in the
/// TLS handshake every peer without a certificate of that CA, a client certificate on the silo-to-silo
/// port, and a node certificate of another CA.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-tls-" + Guid.NewGuid().ToString("N")[..8]);
    private LocalCluster _cluster = null!;

    private string Authority => Path.Combine(_root, "ca");

    private string Node => Path.Combine(_root, "node");

    private string ClientFolder => Path.Combine(_root, "client");

    private string Stranger => Path.Combine(_root, "other-node");

    private string StrangerClient => Path.Combine(_root, "other-client");

    public async Task InitializeAsync()
    {
        ClusterCertificates.CreateAuthority(Authority);
        ClusterCertificates.Issue(Authority, CertificateRole.Node, "node-a", Node);
        ClusterCertificates.Issue(Authority, CertificateRole.Client, "alice", ClientFolder);
        var other = Path.Combine(_root, "other-ca");
        ClusterCertificates.CreateAuthority(other);
        ClusterCertificates.Issue(other, CertificateRole.Node, "node-a", Stranger);
        ClusterCertificates.Issue(other, CertificateRole.Client, "alice", StrangerClient);
        _cluster = await LocalCluster.StartSilosAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 2, GpusPerSilo = 1, TlsDirectory = Node }).WithTimeout(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync().WithTimeout(TimeSpan.FromSeconds(60));
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_client_certificate_of_the_clusters_CA_runs_tasks_in_silos_and_in_worker_processes()
    {
        await using var client = await GranaryClient.ConnectAsync(_cluster.HeadAddress, new ClientOptions { TlsDirectory = ClientFolder }).WithTimeout();
        Assert.Equal(49, await client.Remote(() => TestJobs.Square(7)).WithTimeout());

        // A worker process reaches its silo's gateway as a client does, so it must get the node's certificate.
        var isolated = await client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 0 }).WithTimeout(TimeSpan.FromSeconds(60));
        Assert.NotEqual(Environment.ProcessId, isolated.Pid);

        var report = await StatusCommand.FetchAsync(_cluster.HeadAddress, ClientFolder).WithTimeout();
        Assert.Equal(2, report.View.Nodes.Count(n => n.Alive));
    }

    [Fact]
    public async Task A_client_without_a_certificate_or_with_another_CAs_cannot_submit_or_read_status()
    {
        var plain = await Assert.ThrowsAnyAsync<GranaryException>(() => GranaryClient.ConnectAsync(_cluster.HeadAddress, new ClientOptions { ConnectTimeout = TimeSpan.FromSeconds(3) })).WithTimeout();
        Assert.Contains(_cluster.HeadAddress, plain.Message);

        await Assert.ThrowsAnyAsync<GranaryException>(() => GranaryClient.ConnectAsync(_cluster.HeadAddress, new ClientOptions { ConnectTimeout = TimeSpan.FromSeconds(3), TlsDirectory = StrangerClient })).WithTimeout();
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => StatusCommand.FetchAsync(_cluster.HeadAddress, StrangerClient)).WithTimeout();
    }

    [Fact]
    public async Task A_node_certificate_of_another_CA_cannot_join()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => SiloHost.StartAsync(new Grains.GranarySiloOptions
        {
            HeadAddress = _cluster.HeadAddress,
            TlsDirectory = Stranger,
            JoinTimeout = TimeSpan.FromSeconds(3),
        })).WithTimeout();
        Assert.Contains(_cluster.HeadAddress, refused.Message);
        Assert.Equal(1, _cluster.Silos.Count(s => !s.IsHead));
    }

    [Fact]
    public async Task The_silo_port_refuses_a_client_certificate_in_the_handshake_and_the_gateway_takes_it()
    {
        var head = _cluster.Silos[0];
        var gatewayPort = int.Parse(head.Address[(head.Address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var clientCertificate = ClusterTls.Load(ClientFolder).Certificate;
        var nodeCertificate = ClusterTls.Load(Node).Certificate;

        Assert.True(await HandshakeHoldsAsync(gatewayPort, clientCertificate).WithTimeout());
        var siloPort = System.Net.IPEndPoint.Parse(head.Runtime.SiloEndpoint).Port;
        Assert.True(await HandshakeHoldsAsync(siloPort, nodeCertificate).WithTimeout());
        Assert.False(await HandshakeHoldsAsync(siloPort, clientCertificate).WithTimeout());
        Assert.False(await HandshakeHoldsAsync(siloPort, ClusterTls.Load(Stranger).Certificate).WithTimeout());
        Assert.False(await HandshakeHoldsAsync(gatewayPort, certificate: null).WithTimeout());
    }

    [Fact]
    public void A_silo_refuses_a_client_certificate_before_it_starts_naming_the_fix()
    {
        var refused = Assert.ThrowsAny<Exception>(() => SiloHost.StartAsync(new Grains.GranarySiloOptions { HeadAddress = _cluster.HeadAddress, TlsDirectory = ClientFolder }).GetAwaiter().GetResult());
        Assert.Contains("--node", refused.Message);
    }

    /// <summary>
    /// A TLS handshake with the silo at <paramref name="port"/> presenting <paramref name="certificate"/>;
    /// true when the silo accepted it and keeps the connection open. With TLS 1.3 a refused client
    /// certificate may surface only after the client's side finished, as an alert or a closed stream on
    /// the first read, so a read that times out is what "held" means.
    /// </summary>
    private static async Task<bool> HandshakeHoldsAsync(int port, X509Certificate2? certificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "granary",
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
            });
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var read = await tls.ReadAsync(new byte[1], quiet.Token);
            return read > 0;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return false;
        }
    }
}
