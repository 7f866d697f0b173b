using System.Globalization;
using Granary.Runtime.Clusters;
using Granary.Grains.Hosting;

namespace Granary.Silo;

/// <summary>
/// `granary connect`: Runhouse's named bring-your-own clusters. `granary connect NAME --address host:port`
/// checks that a head answers there and saves it under NAME; `granary connect NAME` checks the saved one;
/// `--list` lists them; `--forget` removes one. Programs then connect by name
/// (`GranaryClient.ConnectAsync("NAME")`), and `granary status --address NAME` works too.
/// </summary>
internal static class ConnectCommand
{
    public const string Usage = "granary connect NAME [--address host:port] [--tls DIR] [--no-check] | granary connect NAME --forget | granary connect --list";

    public static readonly FlagHelp[] Flags =
    [
        new("--address host:port", "the head to save under NAME (checked first: a head must answer there)", "none: check the cluster saved as NAME"),
        new("--tls DIR", "the certificate folder to connect with (from `granary cert issue --client NAME`), saved with the address", "$GRANARY_TLS when set, else none"),
        new("--no-check", "save without asking the head (it is not running yet)", "check"),
        new("--forget", "remove the cluster saved as NAME", "keep"),
        new("--list", "list the saved clusters", "off"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Saves a cluster's head under a name, so programs connect with GranaryClient.ConnectAsync(\"NAME\") and\n" +
        "`granary status --address NAME`. Names are letters, digits, '.', '_' and '-'. They are kept in\n" +
        "$GRANARY_CONFIG_DIR/clusters, else $XDG_CONFIG_HOME/granary/clusters, else ~/.config/granary/clusters.",
        Flags);

    /// <summary>
    /// A flag's head address as given: a saved cluster's name (resolved when the command runs) or host:port;
    /// throws naming the fix for anything else.
    /// </summary>
    public static string CheckAddressOrName(string value)
    {
        if (!SavedClusters.IsName(value))
        {
            ClusterClientHost.ParseEndpoint(value);
        }

        return value;
    }

    /// <summary>host:port as given, or the address saved under a name; throws naming the fix for anything else.</summary>
    public static string AddressOf(string nameOrAddress)
    {
        var address = SavedClusters.IsName(nameOrAddress) ? SavedClusters.Resolve(nameOrAddress).Address : nameOrAddress;
        ClusterClientHost.ParseEndpoint(address);
        return address;
    }

    /// <summary>The command's words: a name, an address, and its switches. Throws naming the fix for bad ones.</summary>
    public static (string? Name, string? Address, string? Tls, bool Check, bool Forget, bool List) Parse(string[] args)
    {
        string? name = null;
        string? address = null;
        string? tls = null;
        bool check = true, forget = false, list = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--address":
                    address = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--address needs a value");
                    ClusterClientHost.ParseEndpoint(address);
                    break;
                case "--tls":
                    tls = i + 1 < args.Length ? Path.GetFullPath(args[++i]) : throw new ArgumentException("--tls needs a value");
                    break;
                case "--no-check":
                    check = false;
                    break;
                case "--forget":
                    forget = true;
                    break;
                case "--list":
                    list = true;
                    break;
                case { } flag when flag.StartsWith('-'):
                    throw new ArgumentException($"unknown flag '{flag}' (`granary connect --help`)");
                case { } value when name is null:
                    name = value;
                    SavedClusters.CheckName(name);
                    break;
                default:
                    throw new ArgumentException($"granary connect takes one name; '{args[i]}' is a second (`granary connect --help`)");
            }
        }

        if (list && (name is not null || address is not null || forget))
        {
            throw new ArgumentException("--list takes no name, --address or --forget");
        }

        if (!list && name is null)
        {
            throw new ArgumentException("granary connect needs a NAME (or --list): " + Usage);
        }

        if (forget && (address is not null || tls is not null))
        {
            throw new ArgumentException("--forget takes no --address or --tls");
        }

        if (tls is not null && address is null)
        {
            throw new ArgumentException("--tls is saved with an address: `granary connect NAME --address host:port --tls DIR`");
        }

        return (name, address, tls, check, forget, list);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (name, address, tls, check, forget, list) = Parse(args);
        if (list)
        {
            foreach (var saved in SavedClusters.List())
            {
                Console.WriteLine($"{saved.Name}\t{saved.Address}\tsaved {saved.SavedAt.ToString("u", CultureInfo.InvariantCulture)}" + (saved.Tls is null ? string.Empty : $"\ttls {saved.Tls}"));
            }

            return 0;
        }

        if (forget)
        {
            if (!SavedClusters.Forget(name!))
            {
                Console.Error.WriteLine($"granary: no cluster is saved as '{name}'");
                return 1;
            }

            Console.WriteLine($"forgot {name}");
            return 0;
        }

        var target = address ?? SavedClusters.Resolve(name!).Address;
        tls ??= address is null ? SavedClusters.Resolve(name!).Tls : Environment.GetEnvironmentVariable(Grains.Security.ClusterCertificateFiles.TlsVariable) is { Length: > 0 } variable ? Path.GetFullPath(variable) : null;
        if (tls is not null)
        {
            // A folder that cannot be read fails here, before it is saved, naming what is missing.
            Grains.Security.ClusterTls.Load(tls);
        }

        var nodes = check ? await CountNodesAsync(target, tls).ConfigureAwait(false) : (int?)null;
        if (address is not null)
        {
            SavedClusters.Save(new SavedCluster(name!, address, DateTimeOffset.UtcNow, tls));
            Console.WriteLine($"saved {name} = {address}" + (nodes is null ? " (not checked)" : $" ({nodes} live nodes)"));
        }
        else
        {
            Console.WriteLine($"{name} = {target} ({nodes} live nodes)");
        }

        return 0;
    }

    /// <summary>Asks the head for its view as an observer (no job starts); fails with the reason when nothing answers.</summary>
    private static async Task<int> CountNodesAsync(string address, string? tls)
    {
        var report = await StatusCommand.FetchAsync(address, tls).ConfigureAwait(false);
        return report.View.Nodes.Count(n => n.Alive);
    }
}
