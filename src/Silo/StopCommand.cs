using System.Globalization;
using System.Runtime.InteropServices;

namespace Granary.Silo;

/// <summary>
/// `granary stop [--timeout S] [--force]`: stops the silos `granary start` runs on this machine, workers
/// before heads, each with SIGTERM so its running work drains (or is retried elsewhere) before it leaves.
/// </summary>
internal static partial class StopCommand
{
    public const string Usage = "granary stop [--timeout S] [--force]";

    /// <summary>Every flag Parse takes, as `granary stop --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--timeout S", "seconds each silo gets to drain and exit", "60"),
        new("--force", "SIGKILL a silo still running after the timeout, instead of exiting with code 1"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Stops the silos that `granary start` runs on this machine (it does not reach other machines): workers\n" +
        "first, then the heads.",
        Flags);

    /// <summary>The flags, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static (TimeSpan Timeout, bool Force) Parse(string[] args)
    {
        var timeout = TimeSpan.FromSeconds(60);
        var force = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--timeout":
                    var value = Next();
                    timeout = TimeSpan.FromSeconds(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? seconds
                        : throw new ArgumentException($"--timeout expects seconds above 0, got '{value}'"));
                    break;
                case "--force":
                    force = true;
                    break;
                default:
                    throw new ArgumentException($"unknown flag '{flag}' for 'granary stop' (`granary stop --help` lists them)");
            }
        }

        return (timeout, force);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (timeout, force) = Parse(args);
        var silos = RunFiles.Live();
        if (silos.Count == 0)
        {
            Console.WriteLine("granary: no silos started on this machine are running");
            return 0;
        }

        var left = 0;
        // Workers first, so the head is there to take their goodbyes and reschedule their work.
        foreach (var group in silos.GroupBy(s => s.Record.IsHead).OrderBy(g => g.Key))
        {
            foreach (var (_, record) in group)
            {
                _ = Kill(record.Pid, Sigterm);
            }

            foreach (var (path, record) in group)
            {
                if (await WaitForExitAsync(record.Pid, timeout).ConfigureAwait(false))
                {
                    Console.WriteLine($"granary: stopped {(record.IsHead ? "head" : "worker")} silo {record.NodeId} ({record.Address}, pid {record.Pid})");
                    RunFiles.TryDelete(path);
                }
                else if (force)
                {
                    _ = Kill(record.Pid, Sigkill);
                    Console.WriteLine($"granary: killed silo {record.NodeId} (pid {record.Pid}) after {timeout.TotalSeconds:0} s");
                    RunFiles.TryDelete(path);
                }
                else
                {
                    Console.Error.WriteLine($"granary: silo {record.NodeId} (pid {record.Pid}) is still stopping after {timeout.TotalSeconds:0} s; run 'granary stop --force' to kill it");
                    left++;
                }
            }
        }

        return left == 0 ? 0 : 1;
    }

    private const int Sigterm = 15;
    private const int Sigkill = 9;

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!RunFiles.IsRunning(pid))
            {
                return true;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        return !RunFiles.IsRunning(pid);
    }

    // .NET's Process.Kill only sends SIGKILL; a graceful stop needs SIGTERM.
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
