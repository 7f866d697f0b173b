using System.Globalization;
using System.Runtime.InteropServices;

namespace Granary.Silo;

/// <summary>
/// `granary stop [--timeout S] [--force]`: stops the silos `granary start` runs on this machine, workers
/// before heads, each with SIGTERM so its running work drains (or is retried elsewhere) before it leaves.
/// </summary>
internal static partial class StopCommand
{
    public const string Usage = "granary stop [--timeout seconds (default 60)] [--force (SIGKILL what is still running after the timeout)]";

    public static async Task<int> RunAsync(string[] args)
    {
        var timeout = TimeSpan.FromSeconds(60);
        var force = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--timeout":
                    var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--timeout needs a value");
                    timeout = TimeSpan.FromSeconds(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? seconds
                        : throw new ArgumentException($"--timeout expects seconds above 0, got '{value}'"));
                    break;
                case "--force":
                    force = true;
                    break;
                default:
                    throw new ArgumentException($"unknown flag '{args[i]}' for 'granary stop'; usage: {Usage}");
            }
        }

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
