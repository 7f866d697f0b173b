using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Granary.Grains.Hosting;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans;
using Orleans.Runtime;

namespace Granary.Silo;

/// <summary>
/// `granary status [--address head:port] [--json] [--watch [--interval S]]`: nodes, resources, GPUs (with
/// their measured and reserved memory, and the head's GPU memory profiles), actors and tasks, from the head, and beside each node Orleans' own membership status of its silo, from Orleans'
/// membership table; with --watch, the nodes' live metrics until Ctrl+C (<see cref="StatusWatch"/>).
/// </summary>
internal static class StatusCommand
{
    public const string Usage = "granary status [--address head:port] [--json] [--watch [--interval S]]";

    /// <summary>Every flag Parse takes, as `granary status --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--address host:port", "the head to ask, or the name of a cluster saved with `granary connect NAME`", "$GRANARY_ADDRESS, else the head of the only cluster with silos on this machine"),
        new("--json", "print one line of JSON instead of text"),
        new("--watch", "show each node's CPU, memory, GPUs, tasks and store live until Ctrl+C (with --json: one line of JSON per interval)"),
        new("--interval S", "seconds between refreshes of --watch", "1"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Asks the head for a report and prints the nodes (state, resources in use out of total, GPUs with their\n" +
        "memory measured and reserved, and the job types on each), the live actors, task and lease counts, the\n" +
        "placement groups, and the head's GPU memory profiles; beside each node, Orleans' membership status\n" +
        "of its silo (orleans:Active, Dead, ...), and each node's last metrics sample. --watch keeps a live table\n" +
        "of the samples on screen until Ctrl+C. It connects as an observer and starts no job.\n" +
        "It exits with code 1 when it cannot reach the head.",
        Flags);

    /// <summary>The flags, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static (string? Address, bool Json, bool Watch, TimeSpan Interval) Parse(string[] args)
    {
        string? address = null;
        var json = false;
        var watch = false;
        TimeSpan? interval = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--address":
                    address = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--address needs a value");
                    address = ConnectCommand.AddressOf(address);
                    break;
                case "--json":
                    json = true;
                    break;
                case "--watch":
                    watch = true;
                    break;
                case "--interval":
                    var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--interval needs a value");
                    interval = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 3600
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new ArgumentException($"--interval expects seconds between 0 and 3600, got '{value}'");
                    break;
                default:
                    throw new ArgumentException($"unknown flag '{args[i]}' for 'granary status' (`granary status --help` lists them)");
            }
        }

        if (interval is not null && !watch)
        {
            throw new ArgumentException("--interval goes with --watch");
        }

        return (address, json, watch, interval ?? GranaryDefaults.MonitorInterval);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (address, json, watch, interval) = Parse(args);
        address ??= RunCluster.EnvironmentAddress;
        address ??= DefaultHead("granary status --address head:port");
        ClusterClientHost.ParseEndpoint(address);
        if (watch)
        {
            return await StatusWatch.RunAsync(address, json, interval).ConfigureAwait(false);
        }

        var (report, silos) = await FetchWithMembershipAsync(address).ConfigureAwait(false);
        Console.WriteLine(json ? ToJson(report, address, silos).ToJsonString(new JsonSerializerOptions { WriteIndented = false }) : ToText(report, address, silos));
        return 0;
    }

    private static string NamespaceOf(ActorInfo actor) => actor.Namespace.Length > 0 ? actor.Namespace : GranaryDefaults.Namespace;

    /// <summary>The namespaces that hold live actors, by name, with how many each holds.</summary>
    private static List<(string Name, int Actors)> Namespaces(StatusReport report) =>
        [.. report.Actors.Where(a => a.State != ActorState.Dead).GroupBy(NamespaceOf).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];

    /// <summary>The head of the only cluster with silos on this machine; with several it refuses to guess, naming them and <paramref name="choose"/>.</summary>
    public static string DefaultHead(string choose)
    {
        var clusters = RunCluster.Of(RunFiles.Live()).Where(c => c.Head != RunCluster.Unknown).ToList();
        return clusters.Count switch
        {
            0 => throw new ArgumentException("no head address: pass --address head:port (or set GRANARY_ADDRESS); no head or worker started on this machine is running"),
            1 => clusters[0].Head,
            _ => throw RunCluster.Ambiguous(clusters, $"Choose one with `{choose}`."),
        };
    }

    /// <summary>Asks the head for its report as an observer: no job starts.</summary>
    public static Task<StatusReport> FetchAsync(string address, string? tls = null, string clusterId = GranaryDefaults.ClusterId) =>
        WithHeadAsync(address, clusterId, tls, (cluster, token) => cluster.Head.GetStatus(token));

    /// <summary>The head's report and Orleans' own membership view (every silo it knows, dead ones too), through one connection.</summary>
    public static Task<(StatusReport Report, IReadOnlyList<OrleansSilo> Silos)> FetchWithMembershipAsync(string address, string clusterId = GranaryDefaults.ClusterId) =>
        WithHeadAsync(address, clusterId, tls: null, (cluster, token) => AskWithMembershipAsync(cluster.Client, token));

    /// <summary>
    /// The head's report and Orleans' membership view, through any grain factory: a client's, or the head silo's
    /// own (the dashboard asks from inside it).
    /// </summary>
    public static async Task<(StatusReport Report, IReadOnlyList<OrleansSilo> Silos)> AskWithMembershipAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var report = await grains.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey).GetStatus(cancellationToken).ConfigureAwait(false);
        // Orleans' management grain reads the membership table itself, so a silo shows as Orleans sees it,
        // not as the head last heard from it.
        var entries = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false).WaitAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<OrleansSilo> silos = [.. entries
            .OrderBy(e => e.SiloName, StringComparer.Ordinal)
            .ThenBy(e => e.SiloAddress.Generation)
            .Select(e => new OrleansSilo(e.SiloName, e.SiloAddress.ToParsableString(), e.Status.ToString(), e.SiloAddress.Generation))];
        return (report, silos);
    }

    private static async Task<T> WithHeadAsync<T>(string address, string clusterId, string? tls, Func<ClusterClientHost, CancellationToken, Task<T>> ask)
    {
        var cluster = await ConnectAsync(address, clusterId, CancellationToken.None, tls).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await ask(cluster, timeout.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An observer's connection to the head, over TLS with <paramref name="tls"/>, else the folder saved for that address, else $GRANARY_TLS;
    /// one that cannot reach it says so in one line.
    /// </summary>
    public static async Task<ClusterClientHost> ConnectAsync(string address, string clusterId, CancellationToken cancellationToken, string? tls = null)
    {
        try
        {
            return await ClusterClientHost.ConnectAsync(address, clusterId, TimeSpan.FromSeconds(10), logging: null, Grains.Security.ClusterTls.LoadOrEnvironment(tls ?? Runtime.Clusters.SavedClusters.TlsFor(address)), configure: null, cancellationToken).ConfigureAwait(false);
        }
        catch (HeadUnreachableException ex)
        {
            throw new InvalidOperationException($"cannot reach the head at {address}: {ex.Reason}. Is 'granary start --head' running there?", ex);
        }
    }

    /// <summary>The newest silo of this node in Orleans' view (a restarted node has one row per generation); null if Orleans has none.</summary>
    private static OrleansSilo? Newest(IReadOnlyList<OrleansSilo>? silos, string nodeId) =>
        silos?.Where(s => s.Name == nodeId).MaxBy(s => s.Generation);

    public static JsonObject ToJson(StatusReport report, string address, IReadOnlyList<OrleansSilo>? silos = null)
    {
        var nodes = new JsonArray();
        foreach (var node in report.View.Nodes)
        {
            var inUse = new JsonObject();
            var available = new JsonObject();
            foreach (var (name, _) in node.Total.Amounts.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                inUse[name] = InUse(node, name);
                available[name] = IsDead(node) ? 0 : node.Available.Amounts.GetValueOrDefault(name);
            }

            var store = IsDead(node) ? null : node.Store;

            nodes.Add(new JsonObject
            {
                ["id"] = node.NodeId,
                ["address"] = node.Address,
                ["state"] = node.State == NodeState.Dead ? "dead" : "alive",
                ["detail"] = State(node.State),
                ["isHead"] = node.IsHead,
                ["resources"] = new JsonObject { ["total"] = Map(node.Total), ["available"] = available, ["inUse"] = inUse },
                ["gpus"] = new JsonArray([.. node.Gpus.Select(g => (JsonNode)GpuJson(report, node, g))]),
                ["gpusSimulated"] = node.GpusSimulated,
                ["tasks"] = new JsonObject { ["running"] = Running(node), ["queued"] = Queued(node) },
                ["store"] = new JsonObject
                {
                    ["objects"] = store?.Objects ?? 0,
                    ["memoryBytes"] = store?.MemoryBytes ?? 0,
                    ["spilledBytes"] = store?.SpilledBytes ?? 0,
                    ["capacityBytes"] = node.Store?.CapacityBytes ?? 0,
                },
                ["deathReason"] = node.DeathReason,
                ["metrics"] = IsDead(node) || node.Metrics is null ? null : MetricsJson(node.Metrics),
                ["orleans"] = Newest(silos, node.NodeId) is { } silo
                    ? new JsonObject { ["status"] = silo.Status, ["silo"] = silo.SiloAddress }
                    : null,
            });
        }

        return new JsonObject
        {
            ["clusterId"] = report.ClusterId,
            ["head"] = address,
            ["persistent"] = report.Persistent,
            ["nodes"] = nodes,
            ["actors"] = new JsonArray([.. report.Actors.Select(a => (JsonNode)new JsonObject
            {
                ["id"] = a.ActorId,
                ["name"] = a.Name,
                ["class"] = a.TypeName,
                ["state"] = a.State == ActorState.Dead ? "dead" : "alive",
                ["nodeId"] = a.NodeId,
                ["lifetime"] = a.Lifetime == ActorLifetimeKind.ActorLifetimeDetached ? "detached" : "owned",
                ["jobId"] = a.JobId,
                ["deathReason"] = a.DeathReason,
                ["namespace"] = NamespaceOf(a),
            })]),
            ["jobs"] = new JsonArray([.. report.Jobs.Select(j => (JsonNode)new JsonObject
            {
                ["id"] = j.JobId,
                ["startedAtUnixMs"] = j.StartedUnixMs,
                ["lastSeenMsAgo"] = j.LastSeenMsAgo,
                ["actors"] = report.Actors.Count(a => a.JobId == j.JobId && a.State != ActorState.Dead),
            })]),
            ["namespaces"] = new JsonArray([.. Namespaces(report).Select(n => (JsonNode)new JsonObject { ["name"] = n.Name, ["actors"] = n.Actors })]),
            ["tasks"] = new JsonObject
            {
                ["running"] = report.View.Nodes.Sum(Running),
                ["queued"] = report.View.Nodes.Sum(Queued),
                ["leases"] = report.Leases,
                ["pendingLeaseRequests"] = report.PendingLeaseRequests,
            },
            ["silos"] = new JsonArray([.. (silos ?? []).Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["silo"] = s.SiloAddress, ["status"] = s.Status })]),
            ["placementGroups"] = new JsonArray([.. report.PlacementGroups.Select(g => (JsonNode)new JsonObject
            {
                ["id"] = g.GroupId,
                ["name"] = g.Name,
                ["strategy"] = g.Strategy.ToString(),
                ["bundles"] = new JsonArray([.. g.Bundles.Select(b => (JsonNode)new JsonObject { ["index"] = b.Index, ["nodeId"] = b.NodeId, ["resources"] = Map(b.Resources) })]),
            })]),
            ["gpuProfiles"] = StatusGpus.ProfilesJson(report),
        };
    }

    /// <summary>One GPU of a node: what it is, then what is measured and reserved on it (<see cref="StatusGpus"/>).</summary>
    private static JsonObject GpuJson(StatusReport report, NodeInfo node, GpuInfo gpu)
    {
        var json = new JsonObject { ["index"] = gpu.Index, ["type"] = gpu.Type, ["memoryBytes"] = gpu.MemoryBytes };
        StatusGpus.AddTo(json, report, node, gpu.Index);
        return json;
    }

    /// <summary>A node's last sample, as `--json` and `--watch --json` print it.</summary>
    public static JsonObject MetricsJson(NodeSample sample) => new()
    {
        ["sampledAtUnixMs"] = sample.SampledAtUnixMs,
        ["cpuPercent"] = Math.Round(sample.CpuPercent, 1),
        ["processCpuPercent"] = Math.Round(sample.ProcessCpuPercent, 1),
        ["memoryUsedBytes"] = sample.MemoryUsedBytes,
        ["memoryTotalBytes"] = sample.MemoryTotalBytes,
        ["processMemoryBytes"] = sample.ProcessMemoryBytes,
        ["leases"] = sample.Leases,
        ["spills"] = sample.Spills,
        ["gpus"] = new JsonArray([.. sample.Gpus.Select(g => (JsonNode)new JsonObject
        {
            ["index"] = g.Index,
            ["utilizationPercent"] = Math.Round(g.UtilizationPercent, 1),
            ["memoryUsedBytes"] = g.MemoryUsedBytes,
            ["memoryTotalBytes"] = g.MemoryTotalBytes,
            ["simulated"] = g.Simulated,
        })]),
    };

    public static string ToText(StatusReport report, string address, IReadOnlyList<OrleansSilo>? silos = null)
    {
        var text = new StringBuilder();
        var alive = report.View.Nodes.Count(n => n.State != NodeState.Dead);
        text.AppendLine(CultureInfo.InvariantCulture, $"Granary cluster {report.ClusterId} — head {address}{(report.Persistent ? ", tables in Redis" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Nodes: {alive} alive, {report.View.Nodes.Count - alive} dead");
        foreach (var node in report.View.Nodes.OrderBy(n => n.IsHead ? 0 : 1))
        {
            var orleans = Newest(silos, node.NodeId)?.Status ?? "-";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {node.NodeId,-20} {node.Address,-22} {State(node.State),-9} {(node.IsHead ? "head" : "worker"),-6} orleans:{orleans,-13} {InUse(node)}");
            if (node.Store is { } store && !node.IsHead && !IsDead(node))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"      store: {store.Objects} objects, {store.MemoryBytes / 1048576.0:0.#} MiB in memory, {store.SpilledBytes / 1048576.0:0.#} MiB spilled (capacity {store.CapacityBytes / 1048576.0:0} MiB)");
            }

            foreach (var gpu in node.Gpus)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"      GPU {gpu.Index}: {gpu.Type}, {gpu.MemoryBytes / (1L << 30)} GiB{(node.GpusSimulated ? " (simulated)" : string.Empty)}{StatusGpus.TextSuffix(report, node, gpu)}");
            }

            if (node.Metrics is { } sample && !IsDead(node))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"      load: CPU {sample.CpuPercent:0}% (silo {sample.ProcessCpuPercent:0.#}%), memory {sample.MemoryUsedBytes / (double)(1L << 30):0.#}/{sample.MemoryTotalBytes / (double)(1L << 30):0.#} GiB (silo {sample.ProcessMemoryBytes / 1048576.0:0} MiB){string.Concat(sample.Gpus.Select(g => $", GPU {g.Index} {g.UtilizationPercent:0}%"))}");
            }

            if (node.State == NodeState.Dead && node.DeathReason.Length > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"      died: {node.DeathReason}");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Actors: {report.Actors.Count(a => a.State != ActorState.Dead)} alive, {report.Actors.Count(a => a.State == ActorState.Dead)} dead");
        foreach (var actor in report.Actors.Where(a => a.State != ActorState.Dead))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {actor.ActorId,-20} {(actor.Name.Length > 0 ? actor.Name : "-"),-20} {actor.TypeName,-30} on {actor.NodeId} ({(actor.Lifetime == ActorLifetimeKind.ActorLifetimeDetached ? "detached" : "owned")}, namespace {NamespaceOf(actor)})");
        }

        if (Namespaces(report) is { Count: > 0 } namespaces)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Namespaces: {string.Join(", ", namespaces.Select(n => $"{n.Name} ({n.Actors} alive actors)"))}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Jobs: {report.Jobs.Count}{(report.Jobs.Count > 0 ? " (" + string.Join(", ", report.Jobs.Select(j => j.JobId)) + ")" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Tasks: {report.View.Nodes.Sum(Running)} running, {report.View.Nodes.Sum(Queued)} queued on nodes; {report.Leases} leases held, {report.PendingLeaseRequests} lease requests waiting");
        if (report.PlacementGroups.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Placement groups: {report.PlacementGroups.Count}");
        }

        StatusGpus.AppendProfiles(text, report);

        return text.ToString().TrimEnd();
    }

    private static string InUse(NodeInfo node) =>
        string.Join(", ", node.Total.Amounts.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a =>
            $"{a.Key} {Format(a.Key, InUse(node, a.Key))}/{Format(a.Key, a.Value)}"));

    // The head keeps a dead node's last reservations and heartbeat counts; none of that runs any more
    // (its work failed or was retried elsewhere), so a dead node shows nothing in use, running or stored.
    private static bool IsDead(NodeInfo node) => node.State == NodeState.Dead;

    private static double InUse(NodeInfo node, string name) =>
        IsDead(node) ? 0 : node.Total.Amounts.GetValueOrDefault(name) - node.Available.Amounts.GetValueOrDefault(name);

    private static int Running(NodeInfo node) => IsDead(node) ? 0 : node.RunningTasks;

    private static int Queued(NodeInfo node) => IsDead(node) ? 0 : node.QueuedTasks;

    private static string Format(string name, double amount) =>
        name == "memory" ? $"{amount / (1L << 30):0.#}GiB" : amount.ToString("0.##", CultureInfo.InvariantCulture);

    private static string State(NodeState state) => state switch
    {
        NodeState.Alive => "alive",
        NodeState.Suspect => "suspect",
        NodeState.Draining => "draining",
        _ => "dead",
    };

    private static JsonObject Map(ResourceMap map)
    {
        var json = new JsonObject();
        foreach (var (name, amount) in map.Amounts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            json[name] = amount;
        }

        return json;
    }
}
