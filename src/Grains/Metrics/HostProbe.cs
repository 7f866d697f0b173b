using System.Globalization;

namespace Granary.Grains.Metrics;

/// <summary>
/// The host's CPU and memory and this process's share, read once per sample: /proc/stat and /proc/meminfo
/// on Linux (what top and free read), else what .NET itself knows (no host CPU, the memory the GC may use).
/// CPU figures are shares of every core since the previous reading. Not thread-safe: one monitor reads.
/// </summary>
internal sealed class HostProbe
{
    private const string StatPath = "/proc/stat";
    private const string MeminfoPath = "/proc/meminfo";

    private (ulong Busy, ulong Total)? _lastHost;
    private TimeSpan _lastProcess = Environment.CpuUsage.TotalTime;
    private long _lastAt = Environment.TickCount64;

    public HostReading Read()
    {
        var now = Environment.TickCount64;
        var process = Environment.CpuUsage.TotalTime;
        var elapsedMs = Math.Max(1, now - _lastAt);
        var processPercent = Percent((process - _lastProcess).TotalMilliseconds, elapsedMs * (double)Environment.ProcessorCount);
        _lastProcess = process;
        _lastAt = now;

        var hostPercent = 0.0;
        if (TryReadCpu(out var busy, out var total))
        {
            if (_lastHost is { } last && total > last.Total)
            {
                hostPercent = Percent(busy - Math.Min(busy, last.Busy), total - last.Total);
            }

            _lastHost = (busy, total);
        }

        var (memoryUsed, memoryTotal) = ReadMemory();
        return new HostReading(hostPercent, processPercent, memoryUsed, memoryTotal, Environment.WorkingSet);
    }

    private static double Percent(double part, double whole) => whole <= 0 ? 0 : Math.Clamp(100 * part / whole, 0, 100);

    private static bool TryReadCpu(out ulong busy, out ulong total)
    {
        busy = total = 0;
        try
        {
            using var reader = new StreamReader(StatPath);
            return reader.ReadLine() is { } line && ParseCpuLine(line, out busy, out total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..." in clock
    /// ticks since boot. Idle and iowait are the idle time; guest time is already inside user and nice.
    /// </summary>
    internal static bool ParseCpuLine(string line, out ulong busy, out ulong total)
    {
        busy = total = 0;
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[0] != "cpu")
        {
            return false;
        }

        ulong idle = 0;
        // Fields 9 and 10 (guest, guest_nice) are counted in user and nice already.
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            if (!ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
            {
                return false;
            }

            total += ticks;
            if (i is 4 or 5)
            {
                idle += ticks;
            }
        }

        busy = total - idle;
        return true;
    }

    private static (long Used, long Total) ReadMemory()
    {
        try
        {
            if (File.Exists(MeminfoPath) && ParseMeminfo(File.ReadLines(MeminfoPath), out var used, out var total))
            {
                return (used, total);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Fall through to what the runtime knows.
        }

        var info = GC.GetGCMemoryInfo();
        return (info.MemoryLoadBytes, info.TotalAvailableMemoryBytes);
    }

    /// <summary>MemTotal less MemAvailable, the kernel's estimate of what new work could take without swapping.</summary>
    internal static bool ParseMeminfo(IEnumerable<string> lines, out long used, out long total)
    {
        long? memTotal = null, available = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                memTotal = Kilobytes(line);
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kilobytes(line);
            }

            if (memTotal is not null && available is not null)
            {
                break;
            }
        }

        total = memTotal ?? 0;
        used = memTotal is { } t && available is { } a ? Math.Max(0, t - a) : 0;
        return memTotal is not null && available is not null;
    }

    // "MemTotal:       16314460 kB"
    private static long? Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
    }
}
