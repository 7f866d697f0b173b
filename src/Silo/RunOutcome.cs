using System.Globalization;

namespace Granary.Silo;

/// <summary>How one command of `granary run` ended: its result, or why its task failed. Immutable.</summary>
internal sealed record RunOutcome(int Index, string Command, ShellCommandResult? Result, string? Error)
{
    /// <summary>The command's exit code; 1 when its task failed without one.</summary>
    public int ExitCode => Result?.ExitCode ?? 1;

    /// <summary>"granary run: [1] exit 0 on node-a GPU 1: echo hello", one line whatever the command holds.</summary>
    public string Summary()
    {
        var command = OneLine(Command);
        if (Result is not { } result)
        {
            return $"granary run: [{Index + 1}] failed: {Error}: {command}";
        }

        var gpu = result.Gpu >= 0 ? "GPU " + result.Gpu.ToString(CultureInfo.InvariantCulture) : "no GPU";
        return $"granary run: [{Index + 1}] exit {result.ExitCode}{(result.TimedOut ? " (timed out)" : string.Empty)} on {result.NodeId} {gpu}: {command}";
    }

    /// <summary>The task name its lines are prefixed with: the command, cut short when long.</summary>
    public static string Label(string command)
    {
        var line = OneLine(command);
        return line.Length <= 40 ? line : line[..37] + "...";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
