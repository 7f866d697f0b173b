using System.Text.Json;
using System.Text.RegularExpressions;

namespace Granary.Runtime.Clusters;

/// <summary>
/// Clusters saved under names, Runhouse's named bring-your-own clusters: one small JSON file each, in
/// $GRANARY_CONFIG_DIR/clusters, else $XDG_CONFIG_HOME/granary/clusters, else ~/.config/granary/clusters, so a
/// user's saved names follow them across shells and programs (`GranaryClient.ConnectAsync("name")`,
/// `granary status --address name`). Names are letters, digits, '.', '_' and '-': a name can never be
/// taken for host:port. Thread-safe (each call reads or writes its own file).
/// </summary>
internal static partial class SavedClusters
{
    public static string Directory => Path.Combine(ConfigDirectory, "clusters");

    /// <summary>Granary's per-user settings folder: $GRANARY_CONFIG_DIR, else $XDG_CONFIG_HOME/granary, else ~/.config/granary.</summary>
    public static string ConfigDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("GRANARY_CONFIG_DIR") is { Length: > 0 } granary)
            {
                return granary;
            }

            var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(config, "granary");
        }
    }

    /// <summary>True when <paramref name="nameOrAddress"/> is a name, not host:port.</summary>
    public static bool IsName(string nameOrAddress) => NamePattern().IsMatch(nameOrAddress);

    /// <summary>Throws naming the rule when <paramref name="name"/> cannot be a saved cluster's name.</summary>
    public static void CheckName(string name)
    {
        if (!IsName(name))
        {
            throw new ArgumentException($"'{name}' cannot name a saved cluster: use letters, digits, '.', '_' and '-' (no ':', which would read as host:port).", nameof(name));
        }
    }

    public static string Save(SavedCluster cluster)
    {
        CheckName(cluster.Name);
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(cluster.Name);
        // Written aside and moved over, so a reader never sees half a file.
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(cluster));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>The cluster saved as <paramref name="name"/>; null when none is.</summary>
    public static SavedCluster? Find(string name)
    {
        CheckName(name);
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<SavedCluster>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The saved cluster '{name}' ({path}) is not valid JSON: save it again with `granary connect {name} --address host:port`. {ex.Message}", ex);
        }
    }

    /// <summary>The saved cluster of that name, or an error that says how to save it.</summary>
    public static SavedCluster Resolve(string name) =>
        Find(name) ?? throw new ArgumentException(
            $"No cluster is saved as '{name}' (in {Directory}): save it with `granary connect {name} --address host:port`, or pass the head's host:port.", nameof(name));

    public static IReadOnlyList<SavedCluster> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var saved = new List<SavedCluster>();
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize<SavedCluster>(File.ReadAllText(path)) is { } cluster)
                {
                    saved.Add(cluster);
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                // A broken file does not hide the others; Find names it when asked for.
            }
        }

        return saved;
    }

    /// <summary>
    /// The TLS folder saved with the cluster whose head is at <paramref name="address"/> (`granary connect NAME
    /// --address A --tls DIR`), so a command given the address, or the name it resolved to, finds the
    /// certificate too; null when no saved cluster there has one.
    /// </summary>
    public static string? TlsFor(string address) =>
        List().FirstOrDefault(c => c.Tls is not null && string.Equals(c.Address, address, StringComparison.OrdinalIgnoreCase))?.Tls;

    public static bool Forget(string name)
    {
        CheckName(name);
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    private static string PathOf(string name) => Path.Combine(Directory, name + ".json");

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();
}
