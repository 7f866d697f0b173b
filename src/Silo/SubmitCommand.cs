using System.Globalization;
using Granary.Grains.Hosting;
using Granary.Runtime.Wire;

namespace Granary.Silo;

/// <summary>
/// `granary submit -- dotnet MyApp.dll args` (Ray's `ray job submit`): ships the app's build output to the
/// head, which runs it as a driver on a node with the resources asked for; follows its output and exits with
/// its exit code, or with --no-wait prints its id and returns. The job's state and output live on the head,
/// so Ctrl+C (or a lost client) detaches without stopping it.
/// </summary>
internal static class SubmitCommand
{
    public const string Usage = "granary submit [--address head:port] [--no-wait] [--env K=V ...] [--cpus N] [--gpus N] -- dotnet PATH.dll [args]\n" +
        "granary submit [flags] -- PROJECT.csproj [args]";

    /// <summary>Every flag Parse takes, as `granary submit --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--address host:port", "the head of the cluster to run on, or the name of a cluster saved with `granary connect NAME`", "$GRANARY_ADDRESS, else the head of the only cluster with silos on this machine"),
        new("--no-wait", "print the job's id and return once it is submitted, instead of following its output", "follow"),
        new("--env K=V", "a variable the driver gets (repeat for more)", "none"),
        new("--cpus N", "CPUs the driver reserves on its node", "0"),
        new("--gpus N", "GPUs the driver reserves on its node (CUDA_VISIBLE_DEVICES names them)", "0"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Ships the folder of PATH.dll (the app's build output) to the head, or first builds PROJECT with\n" +
        "`dotnet build -c Release` and ships its output folder, at most 512 MiB zipped. The head runs\n" +
        "`dotnet PATH.dll args` as the job's driver on a node with the resources asked for, in a folder of its own,\n" +
        "with GRANARY_ADDRESS (the head), GRANARY_JOB_ID and the --env variables set, so\n" +
        "GranaryClient.ConnectAsync(Environment.GetEnvironmentVariable(\"GRANARY_ADDRESS\")) joins the cluster.\n" +
        "It prints the driver's output as it comes and exits with its exit code (1 when it failed without one,\n" +
        "2 for a bad flag). Ctrl+C detaches and leaves the job running; `granary job` follows, lists and stops it.",
        Flags);

    /// <summary>The flags and command, checked; a bad one throws ArgumentException (exit 2).</summary>
    public static SubmitRequest Parse(string[] args)
    {
        var request = new SubmitRequest();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--address":
                    request.Address = ConnectCommand.CheckAddressOrName(Next());

                    break;
                case "--no-wait":
                    request.NoWait = true;
                    break;
                case "--env":
                    var pair = Next();
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw new ArgumentException($"--env expects NAME=VALUE, got '{pair}'");
                    }

                    request.Environment[pair[..equals]] = pair[(equals + 1)..];
                    break;
                case "--cpus":
                    request.Cpus = Amount(flag, Next());
                    break;
                case "--gpus":
                    request.Gpus = Amount(flag, Next());
                    break;
                case "--":
                    request.Command.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    if (flag.StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"unknown flag '{flag}' for 'granary submit' (`granary submit --help` lists them; the app's own flags go after --)");
                    }

                    // The command may start without `--`; everything from it on is the app's.
                    request.Command.AddRange(args[i..]);
                    i = args.Length;
                    break;
            }
        }

        if (request.Command.Count == 0)
        {
            throw new ArgumentException("granary submit needs a command: granary submit -- dotnet MyApp.dll args");
        }

        return request;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var request = Parse(args);
        var address = ConnectCommand.AddressOf(request.Address ?? RunCluster.EnvironmentAddress ?? StatusCommand.DefaultHead("granary submit --address head:port"));
        using var stop = new SignalCancellation();
        var package = await SubmitPackage.ResolveAsync(request.Command, stop.Token).ConfigureAwait(false);
        var zip = package.Zip();
        var cluster = await StatusCommand.ConnectAsync(address, GranaryDefaults.ClusterId, stop.Token).ConfigureAwait(false);
        await using (cluster.ConfigureAwait(false))
        {
            SubmissionInfo info;
            try
            {
                info = await UploadAsync(cluster, request, package, zip, stop.Token).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(zip);
            }

            var id = info.SubmissionId;
            if (request.NoWait)
            {
                // The id alone on stdout, so a script can keep it: ID=$(granary submit --no-wait -- ...).
                Console.WriteLine(id);
                Console.Error.WriteLine($"granary submit: job {id} submitted; `granary job status {id}`, `granary job logs {id} --follow`, `granary job stop {id}`");
                return 0;
            }

            Console.Error.WriteLine($"granary submit: job {id} submitted; following its output (Ctrl+C detaches, the job keeps running)");
            try
            {
                info = await JobLogs.PrintAsync(cluster.Head, id, follow: true, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.Error.WriteLine($"granary submit: detached; job {id} keeps running. Follow it again with `granary job logs {id} --follow`, stop it with `granary job stop {id}`");
                return 130;
            }

            Console.Error.WriteLine($"granary submit: job {id} {JobText.State(info.State)}" +
                (info.HasExitCode ? $" (exit {info.ExitCode.ToString(CultureInfo.InvariantCulture)})" : string.Empty) +
                (info.NodeId.Length > 0 ? $" on node {info.NodeId}" : string.Empty) +
                (info.Message.Length > 0 ? $": {info.Message}" : string.Empty));
            return JobText.ExitCode(info);
        }
    }

    private static async Task<SubmissionInfo> UploadAsync(ClusterClientHost cluster, SubmitRequest request, SubmitPackage package, string zip, CancellationToken cancellationToken)
    {
        var size = new FileInfo(zip).Length;
        if (size > GranaryDefaults.MaxSubmissionBytes)
        {
            throw new InvalidOperationException($"{package.Folder}: " + Grains.Head.Submissions.SubmittedJobs.TooLarge(size));
        }

        var uploadId = Guid.NewGuid().ToString("N");
        var buffer = new byte[GranaryDefaults.SubmissionChunkBytes];
        var file = File.OpenRead(zip);
        await using (file.ConfigureAwait(false))
        {
            long offset = 0;
            int read;
            while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await cluster.Head.UploadSubmissionChunk(new SubmissionChunk { UploadId = uploadId, Offset = offset, Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, cancellationToken).ConfigureAwait(false);
                offset += read;
            }
        }

        var submit = new SubmitJob { UploadId = uploadId, PackageBytes = size, Cpus = request.Cpus, Gpus = request.Gpus, Entrypoint = package.Entrypoint };
        submit.Arguments.AddRange(package.Arguments);
        submit.Environment.Add(request.Environment);
        return await cluster.Head.SubmitJob(submit, cancellationToken).ConfigureAwait(false);
    }

    private static double Amount(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && number >= 0
            ? number
            : throw new ArgumentException($"{flag} expects a number of at least 0, got '{value}'");
}
