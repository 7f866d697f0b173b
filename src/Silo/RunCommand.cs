using System.Globalization;
using System.Runtime.InteropServices;
using Granary.Grains.Hosting;

namespace Granary.Silo;

/// <summary>
/// `granary run "cmd" "cmd" ...` (GLB's glb-run): runs each shell command as one task on a running cluster,
/// packed onto GPUs by memory. Each distinct command is a job type of its own
/// (<c>GpuMemory.ProfiledAs(command)</c>): its first run is measured alone on a device, later ones are packed
/// by that profile. It prints the commands' lines as they come, one summary line per command once all
/// ended, and exits 0 only when every command exited 0.
/// </summary>
internal static class RunCommand
{
    public const string Usage = "granary run [--address head:port] [--timeout S] [--retries N] [--cpus N] \"command\" [\"command\" ...]";

    /// <summary>Every flag Parse takes, as `granary run --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--address host:port", "the head of the cluster to run on, or the name of a cluster saved with `granary connect NAME`", "$GRANARY_ADDRESS, else the head of the only cluster with silos on this machine"),
        new("--timeout S", "seconds each command may run once started; one still running then is killed and exits with 124", "no limit"),
        new("--retries N", "times a command is run again after its node or worker died (running out of GPU memory beside others is retried alone on a device regardless)", "3"),
        new("--cpus N", "CPUs each command reserves on its node, beside its share of one GPU", "0"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Runs each command with /bin/sh -c as one task on the cluster, with CUDA_VISIBLE_DEVICES set to the one\n" +
        "GPU it was given, and packs the commands onto GPUs by memory: a command's first run is measured alone\n" +
        "on a device, later runs of the same command share devices by that profile plus the head's margin (10 %\n" +
        "unless the head was started with --gpu-memory-margin). Their output comes back as (node task=command)\n" +
        "lines; at the end one line per command gives its exit code, node and GPU. It exits 0 when every command\n" +
        "exited 0, else with the first failed command's exit code (1 when it failed without one), 2 for a bad\n" +
        "flag. On a simulated GPU a command reports its use by writing bytes to the file\n" +
        $"${SimulatedGpuMemoryFile.Variable} names.",
        Flags);

    /// <summary>The flags and commands, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static RunRequest Parse(string[] args)
    {
        var request = new RunRequest();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--address":
                    request.Address = ConnectCommand.CheckAddressOrName(Next());

                    break;
                case "--timeout":
                    request.TimeoutSeconds = Number(flag, Next(), min: 0, exclusive: true);
                    break;
                case "--retries":
                    var retries = Next();
                    request.Retries = int.TryParse(retries, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                        ? count
                        : throw new ArgumentException($"--retries expects a whole number of 0 or more, got '{retries}'");
                    break;
                case "--cpus":
                    request.Cpus = Number(flag, Next(), min: 0, exclusive: false);
                    break;
                case "--":
                    request.Commands.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    if (flag.StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"unknown flag '{flag}' for 'granary run' (`granary run --help` lists them; put a command that starts with -- after --)");
                    }

                    request.Commands.Add(flag);
                    break;
            }
        }

        if (request.Commands.Count == 0 || request.Commands.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("granary run needs at least one command, each a non-empty string: granary run \"python train.py\" \"python eval.py\"");
        }

        return request;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var request = Parse(args);
        var address = ConnectCommand.AddressOf(request.Address ?? RunCluster.EnvironmentAddress ?? StatusCommand.DefaultHead("granary run --address head:port"));

        using var stop = new SignalCancellation();
        var connector = CommandLineClients.Load();
        ICommandLineClient client;
        try
        {
            client = await connector.ConnectAsync(address, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"cannot reach the head at {address}: {ex.Message} Is 'granary start --head' running there?", ex);
        }

        RunOutcome[] outcomes;
        await using (client.ConfigureAwait(false))
        {
            var workingDirectory = Environment.CurrentDirectory;
            outcomes = await Task.WhenAll(request.Commands.Select((command, index) => RunOneAsync(client, request, command, index, workingDirectory, stop.Token))).ConfigureAwait(false);
            try
            {
                // The summary goes after every command's output.
                await client.DrainLogsAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl+C: the summary at once.
            }
        }

        foreach (var outcome in outcomes)
        {
            Console.WriteLine(outcome.Summary());
        }

        return stop.IsCancellationRequested ? 130 : outcomes.Select(o => o.ExitCode).FirstOrDefault(code => code != 0);
    }

    private static async Task<RunOutcome> RunOneAsync(ICommandLineClient client, RunRequest request, string command, int index, string workingDirectory, CancellationToken cancellationToken)
    {
        var options = new RemoteOptions
        {
            GpuMemory = GpuMemory.ProfiledAs(command),
            Name = RunOutcome.Label(command),
            Cpus = request.Cpus,
            MaxRetries = request.Retries,
        };
        var timeout = request.TimeoutSeconds;
        try
        {
            var result = await client.RunAsync(() => ShellCommandTask.RunAsync(command, workingDirectory, timeout, CancellationToken.None), options, cancellationToken).ConfigureAwait(false);
            return new RunOutcome(index, command, result, Error: null);
        }
        catch (Exception ex)
        {
            return new RunOutcome(index, command, Result: null, cancellationToken.IsCancellationRequested ? "cancelled (Ctrl+C)" : $"{ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static double Number(string flag, string value, double min, bool exclusive) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && (exclusive ? number > min : number >= min)
            ? number
            : throw new ArgumentException($"{flag} expects a number {(exclusive ? "above" : "of at least")} {min}, got '{value}'");
}
