using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Granary.Grains.Security;

/// <summary>
/// Makes a cluster's private certificate authority and the node and client certificates it signs, with
/// .NET's own X.509 builder (no openssl needed on the machine). ECDSA P-256 throughout: small keys, fast
/// handshakes. Private keys are written readable by their owner only. Stateless, so thread-safe.
/// </summary>
public static class ClusterCertificates
{
    /// <summary>OU values that carry a certificate's <see cref="CertificateRole"/>.</summary>
    internal const string NodeUnit = "granary-node";
    internal const string ClientUnit = "granary-client";
    internal const string AdminUnit = "granary-admin";

    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    /// <summary>Creates ca.crt and ca.key in <paramref name="directory"/>; refuses to overwrite an existing CA.</summary>
    public static string CreateAuthority(string directory, int days = 3650)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var certificatePath = Path.Combine(directory, ClusterCertificateFiles.AuthorityCertificate);
        var keyPath = Path.Combine(directory, ClusterCertificateFiles.AuthorityKey);
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            throw new IOException($"{directory} already holds a cluster CA ({ClusterCertificateFiles.AuthorityCertificate}); every certificate issued from it would stop working if it were replaced. Use another --dir, or delete the folder first.");
        }

        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Granary cluster CA {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var authority = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, authority.ExportCertificatePem());
        return certificatePath;
    }

    /// <summary>
    /// Signs a certificate for <paramref name="name"/> in <paramref name="role"/> with the CA in
    /// <paramref name="authorityDirectory"/> and writes ca.crt, tls.crt and tls.key into <paramref name="outputDirectory"/>.
    /// </summary>
    public static string Issue(string authorityDirectory, CertificateRole role, string name, string outputDirectory, int days = 825)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authorityDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        if (name.Any(c => c is ',' or '=' or '+' or '"' or '\\' or '<' or '>' or ';' || char.IsControl(c)))
        {
            throw new ArgumentException($"'{name}' cannot name a certificate: use letters, digits, '.', '_' and '-'.", nameof(name));
        }

        var authorityCertificate = Path.Combine(authorityDirectory, ClusterCertificateFiles.AuthorityCertificate);
        var authorityKey = Path.Combine(authorityDirectory, ClusterCertificateFiles.AuthorityKey);
        if (!File.Exists(authorityCertificate) || !File.Exists(authorityKey))
        {
            throw new FileNotFoundException($"{authorityDirectory} holds no cluster CA ({ClusterCertificateFiles.AuthorityCertificate} and {ClusterCertificateFiles.AuthorityKey}): create one with `granary cert init --dir {authorityDirectory}`, or point --ca at the folder that has it.");
        }

        var certificatePath = Path.Combine(outputDirectory, ClusterCertificateFiles.Certificate);
        if (File.Exists(certificatePath))
        {
            throw new IOException($"{outputDirectory} already holds a certificate ({ClusterCertificateFiles.Certificate}); use another --out, or delete it first.");
        }

        using var authority = X509Certificate2.CreateFromPemFile(authorityCertificate, authorityKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, OU={UnitOf(role)}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        // A node is both ends of silo-to-silo connections; a client only ever dials out.
        var usages = role == CertificateRole.Node ? new OidCollection { ServerAuthentication, ClientAuthentication } : new OidCollection { ClientAuthentication };
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < authority.NotAfter ? now.AddDays(days) : authority.NotAfter.ToUniversalTime();
        using var issued = request.Create(authority, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(outputDirectory);
        WritePrivate(Path.Combine(outputDirectory, ClusterCertificateFiles.Key), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, issued.ExportCertificatePem());
        File.Copy(authorityCertificate, Path.Combine(outputDirectory, ClusterCertificateFiles.AuthorityCertificate), overwrite: true);
        return certificatePath;
    }

    /// <summary>The role written into a Granary certificate's subject; null for a certificate without one.</summary>
    public static CertificateRole? RoleOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var part in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (part.GetSingleElementType().Value == "2.5.4.11")
            {
                switch (part.GetSingleElementValue())
                {
                    case NodeUnit:
                        return CertificateRole.Node;
                    case ClientUnit:
                        return CertificateRole.Client;
                    case AdminUnit:
                        return CertificateRole.Admin;
                }
            }
        }

        return null;
    }

    private static string UnitOf(CertificateRole role) => role switch
    {
        CertificateRole.Node => NodeUnit,
        CertificateRole.Client => ClientUnit,
        CertificateRole.Admin => AdminUnit,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "a certificate is for a node, a client or an admin"),
    };

    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
