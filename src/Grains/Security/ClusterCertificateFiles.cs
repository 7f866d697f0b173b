namespace Granary.Grains.Security;

/// <summary>
/// The file names of a cluster's certificate folders. A CA folder (`granary cert init`) holds ca.crt and
/// ca.key; a folder issued from it (`granary cert issue`) holds ca.crt, tls.crt and tls.key, everything
/// one node or client needs, so it can be copied to another machine as it is (the layout of a Kubernetes
/// TLS secret plus its CA).
/// </summary>
public static class ClusterCertificateFiles
{
    public const string AuthorityCertificate = "ca.crt";

    public const string AuthorityKey = "ca.key";

    public const string Certificate = "tls.crt";

    public const string Key = "tls.key";

    /// <summary>The environment variable a client (or a worker process) reads its TLS folder from.</summary>
    public const string TlsVariable = "GRANARY_TLS";
}
