using System.Globalization;

namespace Granary.Grains.Gpus;

/// <summary>
/// Whether a process is one of a set or a descendant of one, from each process's parent in
/// /proc/PID/stat. GPU meters use it so that what a task's own child processes allocate (a shell
/// command of `granary run`, a Python script a task starts) counts as the silo's use of its device.
/// Only the processes NVML lists on a device are asked about, so a sample reads a few small files.
/// Where /proc is missing (not Linux) a process is only itself. Stateless, so thread-safe.
/// </summary>
internal static class ProcessAncestry
{
    // Deeper than any real process tree; a cycle (pids reused while walking) cannot loop for ever.
    private const int MostDepth = 64;

    public static bool IsOrDescendsFrom(int pid, IReadOnlySet<int> roots)
    {
        for (var depth = 0; depth < MostDepth && pid > 1; depth++)
        {
            if (roots.Contains(pid))
            {
                return true;
            }

            if (ParentOf(pid) is not { } parent)
            {
                return false;
            }

            pid = parent;
        }

        return roots.Contains(pid);
    }

    /// <summary>The parent's pid; null when the process is gone or /proc cannot say.</summary>
    public static int? ParentOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so read after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }
}
