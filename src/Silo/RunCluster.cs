using System.Net;

namespace Granary.Silo;

/// <summary>
/// The silos this machine runs for one cluster, as the run files record them. A cluster is named by its
/// head's address, the one thing every silo of it knows (the head listens there, workers joined it), so
/// two clusters side by side are told apart by `granary stop` and `granary status`.
/// </summary>
internal sealed record RunCluster(string Head, IReadOnlyList<(string Path, RunRecord Record)> Silos)
{
    /// <summary>The cluster of workers whose run files predate the recorded head address.</summary>
    public const string Unknown = "(unknown head)";

    /// <summary>The live silos grouped by cluster, in a stable order.</summary>
    public static List<RunCluster> Of(IEnumerable<(string Path, RunRecord Record)> live) =>
        [.. live.GroupBy(s => Key(s.Record.Cluster ?? (s.Record.IsHead ? s.Record.Address : null)), StringComparer.Ordinal)
            .Select(g => new RunCluster(g.Key, [.. g]))
            .OrderBy(c => c.Head, StringComparer.Ordinal)];

    /// <summary>
    /// One spelling per head address, so a worker that joined "localhost:6380" belongs with the head that
    /// recorded "127.0.0.1:6380": every loopback name counts as 127.0.0.1, and host names ignore case.
    /// </summary>
    public static string Key(string? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0)
        {
            return address;
        }

        var host = address[..colon].Trim('[', ']');
        var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        return (loopback ? "127.0.0.1" : host.ToLowerInvariant()) + address[colon..];
    }

    /// <summary>The head address in <c>$GRANARY_ADDRESS</c>, which `status` and `stop` take when not given --address; null when unset or empty.</summary>
    public static string? EnvironmentAddress =>
        Environment.GetEnvironmentVariable("GRANARY_ADDRESS") is { Length: > 0 } address ? address : null;

    /// <summary>The refusal when a command was not told which of several clusters it means.</summary>
    public static ArgumentException Ambiguous(IReadOnlyList<RunCluster> clusters, string choose) =>
        new($"{clusters.Count} clusters have silos on this machine: {string.Join("; ", clusters)}. {choose}");

    public bool Matches(string address) => string.Equals(Head, Key(address), StringComparison.Ordinal);

    /// <summary>"127.0.0.1:6380 (head and 2 workers)".</summary>
    public override string ToString()
    {
        var workers = Silos.Count(s => !s.Record.IsHead);
        var parts = new List<string>();
        if (Silos.Any(s => s.Record.IsHead))
        {
            parts.Add("head");
        }

        if (workers > 0)
        {
            parts.Add(workers == 1 ? "1 worker" : $"{workers} workers");
        }

        return $"{Head} ({string.Join(" and ", parts)})";
    }
}
