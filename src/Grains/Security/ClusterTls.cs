using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Microsoft.AspNetCore.Hosting;
using Orleans.Hosting;

namespace Granary.Grains.Security;

/// <summary>
/// Mutual TLS for one silo or client, from a folder `granary cert issue` wrote (ca.crt, tls.crt, tls.key):
/// Orleans' TLS middleware (Microsoft.Orleans.Connections.Security) on every connection, and Granary's
/// check of the other side's certificate. A peer is accepted when its certificate chains to this cluster's
/// CA (and nothing else: the machine's trusted roots do not count) and its role fits the port: only nodes
/// on the silo-to-silo port and as the server a node or client dials, nodes and clients on the gateway.
/// Host names are not checked, since nodes dial each other by IP and the CA is the cluster's alone: a
/// certificate from it is the identity. Immutable after Load, so thread-safe.
/// </summary>
internal sealed class ClusterTls
{
    private static readonly CertificateRole[] NodesOnly = [CertificateRole.Node];
    private static readonly CertificateRole[] AnyMember = [CertificateRole.Node, CertificateRole.Client, CertificateRole.Admin];

    private readonly X509Certificate2 _authority;

    private ClusterTls(string directory, X509Certificate2 authority, X509Certificate2 certificate, CertificateRole role)
    {
        Directory = directory;
        _authority = authority;
        Certificate = certificate;
        Role = role;
    }

    /// <summary>The folder it was loaded from (passed on to worker processes).</summary>
    public string Directory { get; }

    /// <summary>This side's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public CertificateRole Role { get; }

    /// <summary>Reads a certificate folder; throws naming the fix when a file is missing or does not belong to the folder's CA.</summary>
    public static ClusterTls Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        var authorityPath = Path.Combine(full, ClusterCertificateFiles.AuthorityCertificate);
        var certificatePath = Path.Combine(full, ClusterCertificateFiles.Certificate);
        var keyPath = Path.Combine(full, ClusterCertificateFiles.Key);
        foreach (var path in new[] { authorityPath, certificatePath, keyPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"The TLS folder {full} has no {Path.GetFileName(path)}: it should hold {ClusterCertificateFiles.AuthorityCertificate}, {ClusterCertificateFiles.Certificate} and {ClusterCertificateFiles.Key} as `granary cert issue --node NAME` (or --client NAME) writes them.",
                    path);
            }
        }

        X509Certificate2 authority;
        X509Certificate2 certificate;
        try
        {
            authority = X509CertificateLoader.LoadCertificateFromFile(authorityPath);
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException($"The TLS folder {full} does not hold a readable certificate and key ({ex.Message}); issue it again with `granary cert issue`.", ex);
        }

        var role = ClusterCertificates.RoleOf(certificate)
            ?? throw new InvalidDataException($"{certificatePath} is not a Granary certificate (its subject has no OU=granary-node, granary-client or granary-admin); issue one with `granary cert issue`.");
        var tls = new ClusterTls(full, authority, certificate, role);
        if (!tls.Accepts(certificate, AnyMember))
        {
            throw new InvalidDataException($"{certificatePath} was not signed by the CA in {authorityPath} (or has expired); issue it again from that CA with `granary cert issue`.");
        }

        return tls;
    }

    /// <summary>The folder named by $GRANARY_TLS, loaded; null when the variable is unset.</summary>
    public static ClusterTls? FromEnvironment() =>
        Environment.GetEnvironmentVariable(ClusterCertificateFiles.TlsVariable) is { Length: > 0 } directory ? Load(directory) : null;

    /// <summary>Loads <paramref name="directory"/>, else $GRANARY_TLS; null when neither names a folder.</summary>
    public static ClusterTls? LoadOrEnvironment(string? directory) => directory is { Length: > 0 } ? Load(directory) : FromEnvironment();

    /// <summary>TLS on the silo's three kinds of connection, each checking the other side's role.</summary>
    public void ConfigureSilo(ISiloBuilder silo)
    {
        RequireNode();
        var nodes = Options(NodesOnly);
        var members = Options(AnyMember);
        silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(b => b.UseServerTls(nodes));
            o.ConfigureSiloOutboundConnection(b => b.UseClientTls(nodes));
            o.ConfigureGatewayInboundConnection(b => b.UseServerTls(members));
        });
    }

    /// <summary>Throws naming the fix unless this is a node's certificate, which a silo must have.</summary>
    public void RequireNode()
    {
        if (Role != CertificateRole.Node)
        {
            throw new InvalidOperationException($"{Path.Combine(Directory, ClusterCertificateFiles.Certificate)} is a {Role.ToString().ToLowerInvariant()} certificate; a silo needs a node one: `granary cert issue --node NAME`.");
        }
    }

    /// <summary>TLS on a client's gateway connections; the gateway must prove it is a node of this cluster.</summary>
    public void ConfigureClient(IClientBuilder client)
    {
        var nodes = Options(NodesOnly);
        client.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(b => b.UseClientTls(nodes)));
    }

    /// <summary>
    /// HTTPS for a silo's web endpoints (metrics, dashboard) on a TLS cluster: the node's certificate, and a
    /// client certificate of this CA required of every caller, since what they show is the cluster's.
    /// </summary>
    public void ConfigureHttps(Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions https)
    {
        ArgumentNullException.ThrowIfNull(https);
        https.ServerCertificate = Certificate;
        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) => Accepts(certificate, AnyMember);
    }

    /// <summary>Kestrel's listener at <paramref name="ip"/>:<paramref name="port"/>, HTTPS with client certificates when <paramref name="tls"/> is given.</summary>
    public static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, System.Net.IPAddress ip, int port, ClusterTls? tls) =>
        kestrel.Listen(ip, port, listen =>
        {
            if (tls is not null)
            {
                listen.UseHttps(tls.ConfigureHttps);
            }
        });

    /// <summary>True when <paramref name="certificate"/> chains to this cluster's CA and carries one of <paramref name="roles"/>.</summary>
    public bool Accepts(X509Certificate2? certificate, IReadOnlyCollection<CertificateRole> roles)
    {
        if (certificate is null || ClusterCertificates.RoleOf(certificate) is not { } role || !roles.Contains(role))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            return false;
        }

        // The chain must end at this cluster's CA itself, not at another root that happens to be trusted.
        return chain.ChainElements.Count >= 2
            && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(_authority.RawDataMemory.Span);
    }

    private TlsOptions Options(CertificateRole[] roles) => new()
    {
        LocalCertificate = Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        // The system's verdict (untrusted root, name mismatch) is replaced by the check against this cluster's CA.
        RemoteCertificateValidation = (certificate, _, _) => Accepts(certificate, roles),
        OnAuthenticateAsClient = (_, o) => o.TargetHost = "granary",
    };
}
