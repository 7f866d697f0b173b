using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Granary.Runtime.Wire;

namespace Granary.Silo;

/// <summary>How `granary job` shows submitted jobs: a table, one record's lines, and JSON. Stateless, thread-safe.</summary>
internal static class JobText
{
    public static bool IsEnded(SubmissionState state) => state is SubmissionState.Succeeded or SubmissionState.Failed or SubmissionState.Stopped;

    /// <summary>PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED: Ray's job states.</summary>
    public static string State(SubmissionState state) => state.ToString().ToUpperInvariant();

    /// <summary>The exit code `granary submit` exits with: the driver's, else 0 for success and 1 for anything else.</summary>
    public static int ExitCode(SubmissionInfo info) =>
        info.HasExitCode ? info.ExitCode : info.State == SubmissionState.Succeeded ? 0 : 1;

    public static string Table(IEnumerable<SubmissionInfo> jobs)
    {
        string[] header = ["ID", "STATE", "EXIT", "NODE", "SUBMITTED", "DURATION", "ENTRYPOINT"];
        var rows = jobs.Select(j => new[]
        {
            j.SubmissionId, State(j.State), j.HasExitCode ? j.ExitCode.ToString(CultureInfo.InvariantCulture) : "-", j.NodeId.Length > 0 ? j.NodeId : "-",
            Time(j.SubmittedUnixMs), Duration(j), j.Entrypoint,
        }).ToList();
        if (rows.Count == 0)
        {
            return "no submitted jobs (granary submit -- dotnet MyApp.dll starts one)";
        }

        var widths = header.Select((h, i) => rows.Max(r => r[i].Length) is var w && w > h.Length ? w : h.Length).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString().TrimEnd();
    }

    public static string Lines(SubmissionInfo job)
    {
        var text = new StringBuilder();
        text.AppendLine($"job {job.SubmissionId}: {State(job.State)}");
        text.AppendLine($"  entrypoint: {job.Entrypoint}");
        text.AppendLine($"  node: {(job.NodeId.Length > 0 ? job.NodeId : "(not placed yet)")}");
        text.AppendLine($"  resources: {job.Cpus.ToString(CultureInfo.InvariantCulture)} CPUs, {job.Gpus.ToString(CultureInfo.InvariantCulture)} GPUs");
        text.AppendLine($"  submitted: {Time(job.SubmittedUnixMs)}");
        text.AppendLine($"  started: {Time(job.StartedUnixMs)}");
        text.AppendLine($"  ended: {Time(job.EndedUnixMs)}");
        text.AppendLine($"  exit code: {(job.HasExitCode ? job.ExitCode.ToString(CultureInfo.InvariantCulture) : "-")}");
        if (job.Message.Length > 0)
        {
            text.AppendLine($"  message: {job.Message}");
        }

        return text.ToString().TrimEnd();
    }

    public static JsonObject Json(SubmissionInfo job) => new()
    {
        ["id"] = job.SubmissionId,
        ["state"] = State(job.State),
        ["entrypoint"] = job.Entrypoint,
        ["node"] = job.NodeId.Length > 0 ? job.NodeId : null,
        ["exitCode"] = job.HasExitCode ? job.ExitCode : null,
        ["message"] = job.Message.Length > 0 ? job.Message : null,
        ["cpus"] = job.Cpus,
        ["gpus"] = job.Gpus,
        ["submittedUnixMs"] = job.SubmittedUnixMs,
        ["startedUnixMs"] = job.StartedUnixMs > 0 ? job.StartedUnixMs : null,
        ["endedUnixMs"] = job.EndedUnixMs > 0 ? job.EndedUnixMs : null,
    };

    private static string Time(long unixMs) => unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    private static string Duration(SubmissionInfo job)
    {
        if (job.StartedUnixMs == 0)
        {
            return "-";
        }

        var end = job.EndedUnixMs > 0 ? job.EndedUnixMs : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return TimeSpan.FromMilliseconds(end - job.StartedUnixMs).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
    }
}
