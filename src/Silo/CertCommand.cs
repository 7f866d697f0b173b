using System.Globalization;
using Granary.Grains.Security;
using Granary.Runtime.Clusters;

namespace Granary.Silo;

/// <summary>
/// `granary cert init` makes a cluster's private CA; `granary cert issue --node|--client|--admin NAME` signs
/// a certificate with it into a folder of its own (ca.crt, tls.crt, tls.key) that is copied as it is to
/// the machine that uses it: `granary start --tls DIR` for a node, $GRANARY_TLS or ClientOptions.TlsDirectory
/// for a client. The CA's key never needs to leave the machine it was made on.
/// </summary>
internal static class CertCommand
{
    public const string Usage =
        "granary cert init [--dir DIR] [--days N]\n" +
        "granary cert issue (--node NAME | --client NAME | --admin NAME) [--ca DIR] [--out DIR] [--days N]";

    public static readonly FlagHelp[] Flags =
    [
        new("--dir DIR", "init: the folder for the new CA (ca.crt, ca.key)", "$GRANARY_CONFIG_DIR/ca, else ~/.config/granary/ca"),
        new("--node NAME", "issue: a node certificate, for `granary start --tls`: joins the cluster and serves clients", "one of the three"),
        new("--client NAME", "issue: a client certificate: connects to gateways (submits work, reads status), never joins as a silo", "one of the three"),
        new("--admin NAME", "issue: a client certificate marked admin", "one of the three"),
        new("--ca DIR", "issue: the CA folder to sign with", "as --dir"),
        new("--out DIR", "issue: the folder to write ca.crt, tls.crt and tls.key into", "the CA folder's ROLE-NAME subfolder"),
        new("--days N", "how long the certificate is valid", "3650 for a CA, 825 for the rest"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Makes the certificates of a cluster that runs mutual TLS. Silos accept only certificates signed by\n" +
        "their CA: nodes on the silo-to-silo port, nodes and clients on the gateway. Keep ca.key private;\n" +
        "copy an issued folder to the machine that uses it.",
        Flags);

    public static string DefaultAuthorityDirectory => Path.Combine(SavedClusters.ConfigDirectory, "ca");

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("init" or "issue"))
        {
            throw new ArgumentException("granary cert takes init or issue: " + Usage.Replace("\n", " | ", StringComparison.Ordinal));
        }

        string? dir = null, ca = null, output = null, name = null;
        CertificateRole? role = null;
        int? days = null;
        for (var i = 1; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--dir" when args[0] == "init":
                    dir = Next();
                    break;
                case "--days":
                    days = int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0
                        ? d
                        : throw new ArgumentException($"--days expects a whole number of days above 0, got '{args[i]}'");
                    break;
                case "--node" or "--client" or "--admin" when args[0] == "issue":
                    if (role is not null)
                    {
                        throw new ArgumentException("give one of --node, --client or --admin: a certificate has one role");
                    }

                    role = flag switch { "--node" => CertificateRole.Node, "--client" => CertificateRole.Client, _ => CertificateRole.Admin };
                    name = Next();
                    break;
                case "--ca" when args[0] == "issue":
                    ca = Next();
                    break;
                case "--out" when args[0] == "issue":
                    output = Next();
                    break;
                default:
                    throw new ArgumentException($"`granary cert {args[0]}` does not take '{flag}' (`granary cert --help`)");
            }
        }

        if (args[0] == "init")
        {
            var directory = dir ?? DefaultAuthorityDirectory;
            ClusterCertificates.CreateAuthority(directory, days ?? 3650);
            Console.WriteLine($"created a cluster CA in {Path.GetFullPath(directory)}; issue certificates with `granary cert issue --node NAME --ca {directory}`");
            return Task.FromResult(0);
        }

        if (role is null)
        {
            throw new ArgumentException("granary cert issue needs --node NAME, --client NAME or --admin NAME");
        }

        var authority = ca ?? DefaultAuthorityDirectory;
        var folder = output ?? Path.Combine(authority, role.Value.ToString().ToLowerInvariant() + "-" + name);
        ClusterCertificates.Issue(authority, role.Value, name!, folder, days ?? 825);
        var use = role == CertificateRole.Node ? $"granary start --tls {folder} ..." : $"GRANARY_TLS={folder}";
        Console.WriteLine($"issued a {role.Value.ToString().ToLowerInvariant()} certificate for {name} in {Path.GetFullPath(folder)}; copy the folder to where it is used: {use}");
        return Task.FromResult(0);
    }
}
