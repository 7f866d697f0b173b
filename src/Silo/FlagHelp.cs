using System.Text;

namespace Granary.Silo;

/// <summary>
/// One flag of a `granary` command: what `--help` prints for it. The README's flag tables list the same
/// flag and default (a test keeps the two in step), so <see cref="Flag"/> and <see cref="Default"/> are
/// written exactly as the table's first and last columns, backticks aside.
/// </summary>
internal sealed record FlagHelp(string Flag, string Meaning, string Default = "")
{
    /// <summary>The whole `--help` text: usage lines, what the command does, then one line per flag.</summary>
    public static string Format(string usage, string summary, IReadOnlyList<FlagHelp> flags)
    {
        var width = flags.Max(f => f.Flag.Length) + 2;
        var text = new StringBuilder();
        text.AppendLine("usage: " + usage.Replace("\n", "\n       ", StringComparison.Ordinal));
        text.AppendLine();
        text.AppendLine(summary);
        text.AppendLine();
        text.AppendLine("flags:");
        foreach (var flag in flags)
        {
            text.Append("  ").Append(flag.Flag.PadRight(width)).Append(flag.Meaning);
            if (flag.Default.Length > 0)
            {
                text.Append(" (default: ").Append(flag.Default).Append(')');
            }

            text.AppendLine();
        }

        text.Append("  ").Append("-h, --help".PadRight(width)).Append("print this help and exit");
        return text.ToString();
    }
}
