namespace Granary.Silo;

/// <summary>
/// The `granary` command line: start, status, stop (and the hidden `worker` used for process isolation).
/// A bad flag exits 2, a failure 1, each with a one-line reason on stderr.
/// </summary>
internal static class GranaryCommand
{
    private const string Usage = "usage: granary start|status|stop ...  (granary <command> --help for details)";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            Console.WriteLine(StartCommand.Usage);
            Console.WriteLine(StatusCommand.Usage);
            Console.WriteLine(StopCommand.Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "start" => await StartCommand.RunAsync(StartCommand.Parse(args[1..])).ConfigureAwait(false),
                "status" => await StatusCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "stop" => await StopCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "worker" => await WorkerCommand.RunAsync(args[1..]).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown command '{args[0]}'; {Usage}"),
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
}
