using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Granary.Runtime.Wire;

namespace Granary.Silo;

/// <summary>
/// The GPU memory part of `granary status` (text, --json and --watch): for each GPU of a node, what the node's
/// last sample measured in use beside what the head reserved there and for which job types (tasks packed by
/// memory, RemoteOptions.GpuMemory), and the head's profile of each job type. Measured and reserved are shown
/// side by side because they differ on purpose: a reservation is a profile plus its margin, while the
/// measurement is whatever the device holds now. Stateless, so thread-safe.
/// </summary>
internal static class StatusGpus
{
    /// <summary>The node's last measurement of the GPU with this index; null for a dead node or before its first sample.</summary>
    public static GpuSample? Measured(NodeInfo node, int index) =>
        node.State == NodeState.Dead ? null : node.Metrics?.Gpus.FirstOrDefault(g => g.Index == index);

    /// <summary>What the head has reserved on the node's GPU with this index; null where it reserves nothing (a dead node).</summary>
    public static GpuReservation? Reserved(StatusReport report, string nodeId, int index) =>
        report.GpuReservations.FirstOrDefault(r => r.NodeId == nodeId && r.Index == index);

    /// <summary>Adds the measured and reserved figures to one entry of a node's `gpus` in --json (new fields only).</summary>
    public static void AddTo(JsonObject gpu, StatusReport report, NodeInfo node, int index)
    {
        var reserved = node.State == NodeState.Dead ? null : Reserved(report, node.NodeId, index);
        gpu["measuredBytes"] = Measured(node, index)?.MemoryUsedBytes;
        gpu["reservedBytes"] = reserved?.ReservedBytes ?? 0;
        gpu["reservedShare"] = Math.Round(reserved?.ReservedShare ?? 0, 4);
        gpu["jobTypes"] = new JsonArray([.. (reserved?.JobTypes ?? Enumerable.Empty<string>()).Select(t => (JsonNode)JsonValue.Create(t))]);
    }

    /// <summary>The --json `gpuProfiles`: every job type the head profiles, known or not.</summary>
    public static JsonArray ProfilesJson(StatusReport report) => new([.. report.GpuProfiles.Select(p => (JsonNode)new JsonObject
    {
        ["jobType"] = p.JobType,
        ["state"] = p.State,
        ["peakBytes"] = p.PeakBytes,
        ["runs"] = p.Runs,
        ["failures"] = p.Failures,
        ["outOfMemory"] = p.OutOfMemory,
        ["outgrown"] = p.Outgrown,
        ["lastError"] = p.LastError,
    })]);

    /// <summary>The text after a GPU's line: "; measured 3 GB, reserved 3.3 GB (19%) of 17.18 GB: job types".</summary>
    public static string TextSuffix(StatusReport report, NodeInfo node, GpuInfo gpu)
    {
        if (node.State == NodeState.Dead)
        {
            return string.Empty;
        }

        var measured = Measured(node, gpu.Index);
        var reserved = Reserved(report, node.NodeId, gpu.Index);
        var of = reserved is { MemoryBytes: > 0 } ? reserved.MemoryBytes : gpu.MemoryBytes;
        var text = new StringBuilder("; measured ").Append(measured is null ? "-" : Gb(measured.MemoryUsedBytes))
            .Append(", reserved ").Append(Gb(reserved?.ReservedBytes ?? 0))
            .Append(" (").Append(((reserved?.ReservedShare ?? 0) * 100).ToString("0", CultureInfo.InvariantCulture)).Append("%) of ").Append(Gb(of));
        if (reserved is { JobTypes.Count: > 0 })
        {
            text.Append(": ").Append(string.Join(", ", reserved.JobTypes));
        }

        return text.ToString();
    }

    /// <summary>The text table of the head's profiles, one row per job type; nothing when there are none.</summary>
    public static void AppendProfiles(StringBuilder text, StatusReport report)
    {
        if (report.GpuProfiles.Count == 0)
        {
            return;
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"GPU profiles: {report.GpuProfiles.Count}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"state",-10} {"peak",10} {"runs",5} {"failures",9} {"out of memory",14} {"outgrown",9}  job type");
        foreach (var profile in report.GpuProfiles)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {profile.State,-10} {Peak(profile),10} {profile.Runs,5} {profile.Failures,9} {profile.OutOfMemory,14} {profile.Outgrown,9}  {profile.JobType}");
            if (profile.LastError.Length > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"      last error: {profile.LastError.ReplaceLineEndings(" ")}");
            }
        }
    }

    /// <summary>A profile's peak for the text form; "-" while nothing was measured.</summary>
    public static string Peak(GpuProfileInfo profile) => profile.PeakBytes > 0 || profile.State == "known" ? Gb(profile.PeakBytes) : "-";

    /// <summary>Bytes in GB (10^9), as GPU memory is declared (GpuMemory.Gigabytes) and sold.</summary>
    public static string Gb(long bytes) => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB";
}
