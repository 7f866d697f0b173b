namespace Granary.Runtime.Clusters;

/// <summary>
/// A cluster saved under a name (`granary connect NAME --address ... [--tls DIR]`): where its head is, and
/// the certificate folder to connect with when the cluster runs TLS (null otherwise; files saved before
/// TLS existed read as null).
/// </summary>
internal sealed record SavedCluster(string Name, string Address, DateTimeOffset SavedAt, string? Tls = null);
