using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// A TLS cluster made the way the README says, with real `granary` processes: `granary cert init` and
/// `cert issue`, `granary start --tls` for the head and a worker, then the CLI as a client: refused without
/// a certificate, served with $GRANARY_TLS or a folder saved by `granary connect --tls`.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class TlsProcessTests(ITestOutputHelper output) : OwnClusterTest(output), IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-tlsproc-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task Certificates_from_the_cli_make_a_cluster_that_serves_only_their_holders()
    {
        var ca = Path.Combine(_root, "ca");
        var node = Path.Combine(_root, "node-1");
        var alice = Path.Combine(_root, "alice");
        Cluster.Environment["GRANARY_CONFIG_DIR"] = Path.Combine(_root, "config");
        foreach (var args in new[] { new[] { "cert", "init", "--dir", ca }, ["cert", "issue", "--node", "node-1", "--ca", ca, "--out", node], ["cert", "issue", "--client", "alice", "--ca", ca, "--out", alice] })
        {
            var made = await Cluster.RunCliAsync(args);
            Assert.True(made.ExitCode == 0, made.ToString());
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node, "tls.key")));
        }

        var again = await Cluster.RunCliAsync("cert", "init", "--dir", ca);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a cluster CA", again.Stderr);

        await Cluster.StartHeadAsync("--tls", node);
        await Cluster.StartWorkerAsync("w1", "--tls", node, "--cpus", "1");

        var plain = await Cluster.RunCliAsync("status", "--address", Cluster.HeadAddress, "--json");
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains(Cluster.HeadAddress, plain.Stderr);

        Cluster.Environment["GRANARY_TLS"] = alice;
        var withCertificate = await Cluster.RunCliAsync("status", "--address", Cluster.HeadAddress, "--json");
        Assert.True(withCertificate.ExitCode == 0, withCertificate.ToString());
        Assert.Equal(2, JsonNode.Parse(withCertificate.Stdout)!["nodes"]!.AsArray().Count(n => (string?)n!["state"] == "alive"));

        Cluster.Environment.Remove("GRANARY_TLS");
        var saved = await Cluster.RunCliAsync("connect", "lab", "--address", Cluster.HeadAddress, "--tls", alice);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Contains("(2 live nodes)", saved.Stdout);
        var byName = await Cluster.RunCliAsync("status", "--address", "lab", "--json");
        Assert.True(byName.ExitCode == 0, byName.ToString());
    }

    [Fact]
    public async Task A_worker_without_the_clusters_certificate_does_not_join()
    {
        var ca = Path.Combine(_root, "ca");
        Grains.Security.ClusterCertificates.CreateAuthority(ca);
        var node = Path.Combine(_root, "node");
        Grains.Security.ClusterCertificates.Issue(ca, Grains.Security.CertificateRole.Node, "node", node);
        await Cluster.StartHeadAsync("--tls", node);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Cluster.StartWorkerAsync("plain", "--cpus", "1"));
        Output.WriteLine(refused.ToString());
        var client = await GranaryClient.ConnectAsync(Cluster.HeadAddress, new ClientOptions { TlsDirectory = node }).WithTimeout();
        await using (client)
        {
            Assert.DoesNotContain(await client.GetNodesAsync().WithTimeout(), n => n.NodeId == "plain");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
