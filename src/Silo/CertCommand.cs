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

    /// <summary>What `granary cert ...` asked for; <see cref="Directory"/> is the CA folder for both verbs.</summary>
    public sealed record Request(string Verb, string Directory, CertificateRole? Role, string? Name, string? Output, int Days);

    /// <summary>The command's words; throws naming the fix for bad ones.</summary>
    public static Request Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("init" or "issue"))
        {
            throw new ArgumentException("granary cert takes init or issue: " + Usage.Replace("\n", " | ", StringComparison.Ordinal));
        }

        var verb = args[0];
        string? dir = null, ca = null, output = null, name = null;
        CertificateRole? role = null;
        int? days = null;
        for (var i = 1; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--dir" when verb == "init":
                    dir = Next();
                    break;
                case "--days":
                    days = int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0
                        ? d
                        : throw new ArgumentException($"--days expects a whole number of days above 0, got '{args[i]}'");
                    break;
                case "--node" or "--client" or "--admin" when verb == "issue":
                    if (role is not null)
                    {
                        throw new ArgumentException("give one of --node, --client or --admin: a certificate has one role");
                    }

                    role = flag switch { "--node" => CertificateRole.Node, "--client" => CertificateRole.Client, _ => CertificateRole.Admin };
                    name = Next();
                    break;
                case "--ca" when verb == "issue":
                    ca = Next();
                    break;
                case "--out" when verb == "issue":
                    output = Next();
                    break;
                case "--dir" or "--node" or "--client" or "--admin" or "--ca" or "--out":
                    throw new ArgumentException($"`granary cert {verb}` does not take {flag} (`granary cert --help`)");
                default:
                    throw new ArgumentException($"unknown flag '{flag}' (`granary cert --help`)");
            }
        }

        if (verb == "issue" && role is null)
        {
            throw new ArgumentException("granary cert issue needs --node NAME, --client NAME or --admin NAME");
        }

        return new Request(verb, dir ?? ca ?? DefaultAuthorityDirectory, role, name, output, days ?? (verb == "init" ? 3650 : 825));
    }

    public static Task<int> RunAsync(string[] args)
    {
        var request = Parse(args);
        if (request.Verb == "init")
        {
            ClusterCertificates.CreateAuthority(request.Directory, request.Days);
            Console.WriteLine($"created a cluster CA in {Path.GetFullPath(request.Directory)}; issue certificates with `granary cert issue --node NAME --ca {request.Directory}`");
            return Task.FromResult(0);
        }

        var role = request.Role!.Value;
        var roleName = role.ToString().ToLowerInvariant();
        var folder = request.Output ?? Path.Combine(request.Directory, roleName + "-" + request.Name);
        ClusterCertificates.Issue(request.Directory, role, request.Name!, folder, request.Days);
        var use = role == CertificateRole.Node ? $"granary start --tls {folder} ..." : $"GRANARY_TLS={folder}";
        Console.WriteLine($"issued a {roleName} certificate for {request.Name} in {Path.GetFullPath(folder)}; copy the folder to where it is used: {use}");
        return Task.FromResult(0);
    }
}
