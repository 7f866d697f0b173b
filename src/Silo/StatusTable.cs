using System.Globalization;
using Granary.Runtime.Wire;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Granary.Silo;

/// <summary>
/// The table `granary status --watch` keeps on screen: one row per node, from the head's report and each node's
/// last sample, and under it the head's GPU memory profiles when it has any.
/// </summary>
internal static class StatusTable
{
    public static IRenderable Build(StatusReport? report, string address, string? problem, DateTimeOffset at)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("node", "state", "CPU", "silo CPU", "memory", "tasks", "leases", "object store", "GPUs");
        table.Title = new TableTitle(Markup.Escape($"Granary cluster {report?.ClusterId ?? "?"} — head {address} — {at.ToLocalTime():HH:mm:ss}"));
        table.Caption = new TableTitle(problem is null ? "Ctrl+C to stop" : "[red]" + Markup.Escape(problem) + "[/] (retrying)");
        IEnumerable<NodeInfo> nodes = report?.View.Nodes ?? [];
        foreach (var node in nodes.OrderBy(n => n.IsHead ? 0 : 1).ThenBy(n => n.NodeId, StringComparer.Ordinal))
        {
            var dead = node.State == NodeState.Dead;
            var sample = dead ? null : node.Metrics;
            table.AddRow(
                Markup.Escape(node.NodeId + (node.IsHead ? " (head)" : string.Empty)),
                dead ? "[red]dead[/]" : node.State == NodeState.Alive ? "[green]alive[/]" : Markup.Escape(node.State.ToString().ToLowerInvariant()),
                sample is null ? "-" : Percent(sample.CpuPercent),
                sample is null ? "-" : Percent(sample.ProcessCpuPercent),
                sample is null ? "-" : $"{Gib(sample.MemoryUsedBytes)}/{Gib(sample.MemoryTotalBytes)} GiB",
                dead ? "-" : $"{node.RunningTasks} running, {node.QueuedTasks} queued",
                sample is null ? "-" : sample.Leases.ToString(CultureInfo.InvariantCulture),
                dead || node.Store is not { } store ? "-" : $"{Mib(store.MemoryBytes)} MiB, {Mib(store.SpilledBytes)} MiB spilled",
                sample is null || sample.Gpus.Count == 0 ? "-" : string.Join("\n", sample.Gpus.Select(g =>
                    $"{g.Index}: {Percent(g.UtilizationPercent)} {Gib(g.MemoryUsedBytes)}/{Gib(g.MemoryTotalBytes)} GiB{(g.Simulated ? " (sim)" : string.Empty)}{Reserved(report!, node, g.Index)}")));
        }

        return report is { GpuProfiles.Count: > 0 } ? new Rows(table, Profiles(report)) : table;
    }

    /// <summary>", 3.3 GB reserved" where the head reserved memory on the device for tasks packed by memory.</summary>
    private static string Reserved(StatusReport report, NodeInfo node, int index) =>
        StatusGpus.Reserved(report, node.NodeId, index) is { ReservedBytes: > 0 } reserved ? $", {StatusGpus.Gb(reserved.ReservedBytes)} reserved" : string.Empty;

    /// <summary>The head's GPU memory profiles, one row per job type, under the nodes.</summary>
    private static Table Profiles(StatusReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("job type", "state", "peak", "runs", "failures", "out of memory", "outgrown", "last error");
        table.Title = new TableTitle("GPU memory profiles");
        foreach (var profile in report.GpuProfiles)
        {
            table.AddRow(
                Markup.Escape(profile.JobType),
                Markup.Escape(profile.State),
                StatusGpus.Peak(profile),
                profile.Runs.ToString(CultureInfo.InvariantCulture),
                profile.Failures.ToString(CultureInfo.InvariantCulture),
                profile.OutOfMemory.ToString(CultureInfo.InvariantCulture),
                profile.Outgrown.ToString(CultureInfo.InvariantCulture),
                profile.LastError.Length == 0 ? "-" : Markup.Escape(profile.LastError));
        }

        return table;
    }

    private static string Percent(double value) => value.ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture);
}
