using System.Globalization;

namespace Granary.Benchmarks;

/// <summary>
/// A process's peak resident set (Linux VmHWM). Writing 5 to /proc/PID/clear_refs resets the peak, so a
/// row can report its own peak instead of the largest one of the whole run; where the kernel refuses, the
/// figure is the peak since the process started, and <see cref="TryReset"/> says so.
/// </summary>
internal static class PeakMemory
{
    public static bool TryReset(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static long PeakMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
