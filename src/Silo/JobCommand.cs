using System.Text.Json.Nodes;

namespace Granary.Silo;

/// <summary>
/// `granary job list|status|logs|stop` (Ray's `ray job`): the jobs `granary submit` started, as the head
/// keeps them, whoever submitted them and whether that client is still there.
/// </summary>
internal static class JobCommand
{
    public const string Usage = "granary job list [--address head:port] [--json]\n" +
        "granary job status ID [--address head:port] [--json]\n" +
        "granary job logs ID [--address head:port] [--follow]\n" +
        "granary job stop ID [--address head:port]";

    /// <summary>How long `job stop` waits for the driver to be gone.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    /// <summary>Every flag Parse takes, as `granary job --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--address host:port", "the head to ask, or the name of a cluster saved with `granary connect NAME`", "$GRANARY_ADDRESS, else the head of the only cluster with silos on this machine"),
        new("--json", "list and status: print JSON instead of text"),
        new("--follow", "logs: keep printing lines until the job ends", "print what the head holds and return"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "list: every job submitted to the head, with its state (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED),\n" +
        "exit code, node, times and entrypoint. status: one job. logs: the job's output as the head keeps it (the\n" +
        "last 10000 lines). stop: kills the job's driver and the processes it started, and waits until it is\n" +
        "STOPPED. An unknown ID exits 1, naming `granary job list`; a bad flag exits 2.",
        Flags);

    /// <summary>The action, the job's id and the flags, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static (string Action, string? Id, string? Address, bool Json, bool Follow) Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("list" or "status" or "logs" or "stop"))
        {
            throw new ArgumentException($"granary job needs an action: list, status ID, logs ID or stop ID{(args.Length > 0 ? $", not '{args[0]}'" : string.Empty)} (`granary job --help`)");
        }

        var action = args[0];
        string? id = null, address = null;
        bool json = false, follow = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--address":
                    address = i + 1 < args.Length ? ConnectCommand.AddressOf(args[++i]) : throw new ArgumentException("--address needs a value");
                    break;
                case "--json" when action is "list" or "status":
                    json = true;
                    break;
                case "--follow" when action is "logs":
                    follow = true;
                    break;
                case "--json" or "--follow":
                    throw new ArgumentException($"{args[i]} does not go with `granary job {action}` (`granary job --help`)");
                case { } flag when flag.StartsWith('-'):
                    throw new ArgumentException($"unknown flag '{flag}' for 'granary job' (`granary job --help` lists them)");
                case { } value when id is null && action != "list":
                    id = value;
                    break;
                default:
                    throw new ArgumentException($"granary job {action} takes {(action == "list" ? "no ID" : "one ID")}; '{args[i]}' is one too many");
            }
        }

        if (id is null && action != "list")
        {
            throw new ArgumentException($"granary job {action} needs the job's ID (`granary job list` lists them)");
        }

        return (action, id, address, json, follow);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (action, id, address, json, follow) = Parse(args);
        address ??= ConnectCommand.AddressOf(RunCluster.EnvironmentAddress ?? StatusCommand.DefaultHead($"granary job {action} --address head:port"));
        using var stop = new SignalCancellation();
        var cluster = await StatusCommand.ConnectAsync(address, GranaryDefaults.ClusterId, stop.Token).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            var head = cluster.Head;
            switch (action)
            {
                case "list":
                    var jobs = (await head.ListSubmissions(stop.Token).ConfigureAwait(false)).Submissions;
                    Console.WriteLine(json ? new JsonArray([.. jobs.Select(j => (JsonNode)JobText.Json(j))]).ToJsonString() : JobText.Table(jobs));
                    return 0;
                case "status":
                    var info = await head.GetSubmission(id!, stop.Token).ConfigureAwait(false);
                    Console.WriteLine(json ? JobText.Json(info).ToJsonString() : JobText.Lines(info));
                    return 0;
                case "logs":
                    try
                    {
                        await JobLogs.PrintAsync(head, id!, follow, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // Ctrl+C ends the following, not the job.
                    }

                    return 0;
                default:
                    return await StopAsync(cluster.Head, id!, stop.Token).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> StopAsync(Runtime.Grains.IHeadGrain head, string id, CancellationToken cancellationToken)
    {
        var info = await head.StopSubmission(id, cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + StopWait;
        while (!JobText.IsEnded(info.State) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            info = await head.GetSubmission(id, cancellationToken).ConfigureAwait(false);
        }

        if (!JobText.IsEnded(info.State))
        {
            Console.Error.WriteLine($"granary: job {id} is still {JobText.State(info.State)} {StopWait.TotalSeconds:0} s after it was told to stop (`granary job status {id}`)");
            return 1;
        }

        Console.WriteLine($"job {id} {JobText.State(info.State)}" + (info.Message.Length > 0 ? $": {info.Message}" : string.Empty));
        return 0;
    }
}
