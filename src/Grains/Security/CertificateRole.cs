namespace Granary.Grains.Security;

/// <summary>
/// What a certificate of a Granary cluster lets its holder do. The role is written into the certificate's
/// subject (OU=granary-node, granary-client, granary-admin) by `granary cert issue`, so a silo can tell a
/// node from a client during the TLS handshake without any other lookup.
/// </summary>
public enum CertificateRole
{
    /// <summary>A silo: may join the cluster (silo-to-silo port) and connect to gateways; its worker processes use it too.</summary>
    Node,

    /// <summary>A driver or tool: may connect to gateways (submit work, read status), never join as a silo.</summary>
    Client,

    /// <summary>A client that an operator holds: connects as a client does.</summary>
    Admin,
}
