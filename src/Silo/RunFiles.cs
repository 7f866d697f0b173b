using System.Diagnostics;
using System.Text.Json;

namespace Granary.Silo;

/// <summary>
/// Records of the silos `granary start` runs on this machine, one small JSON file each, so `granary stop`
/// and `granary status` can find them. The folder is $GRANARY_RUN_DIR, else a per-user temp folder.
/// </summary>
internal static class RunFiles
{
    public static string Directory =>
        Environment.GetEnvironmentVariable("GRANARY_RUN_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Path.GetTempPath(), "granary-" + Environment.UserName);

    public static string Write(RunRecord record)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, $"silo-{record.Pid}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(record));
        return path;
    }

    /// <summary>Records of silos still running; files of processes that are gone are removed.</summary>
    public static List<(string Path, RunRecord Record)> Live()
    {
        var live = new List<(string, RunRecord)>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return live;
        }

        foreach (var path in System.IO.Directory.GetFiles(Directory, "silo-*.json"))
        {
            RunRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path));
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                continue;
            }

            if (record is not null && IsRunning(record.Pid))
            {
                live.Add((path, record));
            }
            else
            {
                TryDelete(path);
            }
        }

        return live;
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Another `granary stop` got there first.
        }
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
