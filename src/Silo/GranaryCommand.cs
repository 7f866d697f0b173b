using System.Reflection;

namespace Granary.Silo;

/// <summary>
/// The `granary` command line: start, status, stop, run, submit, job, connect, cert (and the hidden `worker` used for process isolation).
/// `--help` (or `-h`) anywhere after a command prints that command's flags and exits 0; a bad flag exits 2,
/// a failure 1, each with a one-line reason on stderr.
/// </summary>
internal static class GranaryCommand
{
    private const string Overview =
        "usage: granary <command> [flags]\n" +
        "\n" +
        "commands:\n" +
        "  start    run a silo in the foreground: the head (--head) or a worker that joins it (--address head:port)\n" +
        "  status   show the cluster's nodes, resources, actors and tasks, from the head\n" +
        "  stop     stop the silos `granary start` runs on this machine, for one cluster or --all\n" +
        "  run      run shell commands as tasks on the cluster, packed onto GPUs by their measured memory\n" +
        "  submit   ship an app's build output to the cluster and run it as a job's driver, following its output\n" +
        "  job      list submitted jobs, show one's status or logs, or stop it\n" +
        "  connect  save a cluster's head address under a name, check a saved one, or list them\n" +
        "  cert     make a cluster CA and the node and client certificates of a TLS cluster\n" +
        "\n" +
        "`granary <command> --help` lists a command's flags, each with its meaning and default.\n" +
        "`granary --version` prints this granary's version.";

    /// <summary>
    /// "granary 0.1.0+commit": the informational version (Version in Directory.Build.props, plus the source
    /// commit the SDK adds), so a report names the exact build.
    /// </summary>
    internal static string VersionLine { get; } = "granary " +
        (typeof(GranaryCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(GranaryCommand).Assembly.GetName().Version?.ToString()
            ?? "unknown");

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            // No command is a usage mistake: the overview goes where errors go, and the exit code says so.
            Console.Error.WriteLine(Overview);
            return 2;
        }

        if (args[0] is "-h" or "--help" or "help")
        {
            // `granary help stop` is `granary stop --help`.
            var topic = args.Length > 1 ? HelpOf(args[1]) : null;
            Console.WriteLine(topic ?? Overview);
            return 0;
        }

        if (args[0] is "--version")
        {
            Console.WriteLine(VersionLine);
            return 0;
        }

        // Any argument counts, so --help works wherever the user adds it (a value spelled "--help" would be taken for it).
        // What follows `--` is the user's (an app's own --help for `granary submit -- dotnet app.dll --help`).
        if (args.Skip(1).TakeWhile(a => a != "--").Any(a => a is "-h" or "--help") && HelpOf(args[0]) is { } help)
        {
            Console.WriteLine(help);
            return 0;
        }

        try
        {
            return args[0] switch
            {
                "start" => await StartCommand.RunAsync(StartCommand.Parse(args[1..])).ConfigureAwait(false),
                "status" => await StatusCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "stop" => await StopCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "run" => await RunCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "submit" => await SubmitCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "job" => await JobCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "connect" => await ConnectCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "cert" => await CertCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "worker" => await WorkerCommand.RunAsync(args[1..]).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown command '{args[0]}'; the commands are start, status, stop, run, submit, job, connect and cert (`granary --help`)"),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine("granary: " + ex.Message.ReplaceLineEndings(" "));
            return 2;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("granary: " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    /// <summary>The --help text of a public command; null for the hidden `worker` and unknown names.</summary>
    private static string? HelpOf(string command) => command switch
    {
        "start" => StartCommand.Help,
        "status" => StatusCommand.Help,
        "stop" => StopCommand.Help,
        "run" => RunCommand.Help,
        "submit" => SubmitCommand.Help,
        "job" => JobCommand.Help,
        "connect" => ConnectCommand.Help,
        "cert" => CertCommand.Help,
        _ => null,
    };
}
