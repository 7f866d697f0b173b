using System.Globalization;
using System.Runtime.InteropServices;
using Granary.Grains.Hosting;

namespace Granary.Silo;

/// <summary>
/// `granary stop [--address head:port | --all] [--timeout S] [--force]`: stops the silos that `granary start`
/// runs on this machine for one cluster (or every cluster with --all), workers before heads, each with
/// SIGTERM so its running work drains (or is retried elsewhere) before it leaves. Without --address it
/// stops the only cluster here, and refuses to guess between several: two clusters side by side must be
/// safe from a stop meant for the other.
/// </summary>
internal static partial class StopCommand
{
    public const string Usage = "granary stop [--address head:port | --all] [--timeout S] [--force]";

    /// <summary>Every flag Parse takes, as `granary stop --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--address host:port", "stop this machine's silos of the cluster whose head is at this address", "$GRANARY_ADDRESS, else the only cluster with silos on this machine"),
        new("--all", "stop every silo started on this machine, of every cluster"),
        new("--timeout S", "seconds each silo gets to drain and exit", "60"),
        new("--force", "SIGKILL a silo still running after the timeout, instead of exiting with code 1"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Stops the silos that `granary start` runs on this machine (it does not reach other machines): workers\n" +
        "first, then the head. A cluster is named by its head's address. With several clusters here and no\n" +
        "--address or $GRANARY_ADDRESS, it names them and stops nothing.",
        Flags);

    /// <summary>The flags, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static (string? Address, bool All, TimeSpan Timeout, bool Force) Parse(string[] args)
    {
        string? address = null;
        var all = false;
        var timeout = TimeSpan.FromSeconds(60);
        var force = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--address":
                    address = Next();
                    ClusterClientHost.ParseEndpoint(address);
                    break;
                case "--all":
                    all = true;
                    break;
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

        if (all && address is not null)
        {
            throw new ArgumentException("give --address head:port (one cluster) or --all (every cluster), not both");
        }

        return (address, all, timeout, force);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (address, all, timeout, force) = Parse(args);
        var live = RunFiles.Live();
        if (live.Count == 0)
        {
            Console.WriteLine("granary: no silos started on this machine are running");
            return 0;
        }

        var clusters = RunCluster.Of(live);
        List<(string Path, RunRecord Record)> silos;
        if (all)
        {
            silos = live;
        }
        else
        {
            address ??= RunCluster.EnvironmentAddress;
            RunCluster chosen;
            if (address is not null)
            {
                ClusterClientHost.ParseEndpoint(address);
                if (clusters.Find(c => c.Matches(address)) is not { } match)
                {
                    Console.WriteLine($"granary: no silos of the cluster at {address} run on this machine; running here: {string.Join("; ", clusters)} (`granary stop --address head:port` or `--all`)");
                    return 0;
                }

                chosen = match;
            }
            else if (clusters.Count == 1)
            {
                chosen = clusters[0];
            }
            else
            {
                throw RunCluster.Ambiguous(clusters, "Choose one with `granary stop --address head:port`, or stop them all with `granary stop --all`.");
            }

            silos = [.. chosen.Silos];
        }

        var again = all ? "granary stop --all" : address is not null ? $"granary stop --address {address}" : "granary stop";
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
                    Console.Error.WriteLine($"granary: silo {record.NodeId} (pid {record.Pid}) is still stopping after {timeout.TotalSeconds:0} s; run '{again} --force' to kill it");
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
