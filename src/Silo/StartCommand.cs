using System.Globalization;
using Granary.Grains;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>
/// `granary start --head ...` or `granary start --address head:port ...`: runs a silo in the foreground
/// until SIGINT/SIGTERM (or `granary stop`), then leaves the cluster gracefully.
/// </summary>
internal static class StartCommand
{
    public const string Usage =
        "granary start --head [--port P] [--host IP --tls DIR] [--redis host:port[,password=...,ssl=true]] [flags]\n" +
        "granary start --address head:port [--port P] [--host IP --tls DIR] [--cpus N] [--gpus N] [flags]";

    /// <summary>Every flag Parse takes, as `granary start --help` and the README's table list them.</summary>
    public static readonly IReadOnlyList<FlagHelp> Flags =
    [
        new("--head", "start the head silo"),
        new("--address host:port", "join the head at this address as a worker"),
        new("--port P", "port of the silo's Orleans gateway, where clients connect; the silo also listens on P+1 for silo-to-silo traffic", "0: any free ports"),
        new("--host IP", "IP address to listen on; other nodes are told it too, so give one they can reach. Anything but a loopback address needs --tls (or --insecure)", "127.0.0.1"),
        new("--tls DIR", "mutual TLS on every connection, with the node certificate in DIR (ca.crt, tls.crt, tls.key from `granary cert issue --node NAME`): only nodes of the same CA join, only its nodes and clients connect", "plain TCP"),
        new("--insecure", "listen on a non-loopback --host without --tls: anyone who reaches the ports can join, submit code and run it as this user. Trusted networks only", "refuse"),
        new("--cpus N", "CPUs this node offers to work", "all cores on a worker, 0 on the head"),
        new("--memory 32GB", "memory this node offers; B, KB, MB, GB or TB (KiB and the like too), powers of 1024", "none offered"),
        new("--gpus N", "GPUs this node offers: the first N NVML devices (of those CUDA_VISIBLE_DEVICES lists, when set), else N simulated ones (CUDA_VISIBLE_DEVICES picks among them)", "worker: every device NVML finds, else none. Head: 0"),
        new("--gpu-type NAME", "model name of simulated GPUs; ignored when NVML finds real ones", "SimulatedGPU"),
        new("--gpu-memory 80GB", "memory of each simulated GPU, units as for --memory; ignored when NVML finds real ones", "16 GiB"),
        new("--resources a=1,b=2", "custom resources this node offers", "none"),
        new("--object-store-memory 8GB", "bytes of large objects kept in memory before the least recently used spill to disk", "30% of the machine's memory"),
        new("--spill-dir PATH", "where spilled objects go", "a folder under the temp directory, named after the node"),
        new("--redis host:port", "head only: keep the head's tables in this Redis server (host:port or a StackExchange.Redis configuration string), so a restarted head recovers them", "in memory only"),
        new("--log-dir PATH", "also write this silo's log (what it prints, Orleans' warnings, its worker processes' output) to PATH/NODE-ID.log", "the console only"),
        new("--node-id ID", "this node's id", "node- and 12 random hex digits"),
        new("--node-timeout S", "a silo that stops answering Orleans' probes is declared dead within about S seconds", "3"),
        new("--gpu-memory-margin F", "head only: what packing by GPU memory (RemoteOptions.GpuMemory) adds to a measured profile, as a share of it (0.1 = 10 %)", "0.1"),
        new("--heartbeat S", "seconds between this silo's load reports (and metrics samples) to the head; shorter than --node-timeout", "1"),
        new("--metrics-port N", "serve Granary's and Orleans' metrics for Prometheus at http://host:N/metrics (host as --host)", "no endpoint"),
        new("--dashboard-port N", "head only: serve the dashboard, a live web page of the cluster (nodes, jobs, tasks, actors, placement groups, object stores, metrics), at http://host:N/ (host as --host; 0 picks a free port)", "no dashboard"),
        new("--otlp-endpoint URL", "send metrics and task spans over OTLP to this collector, e.g. http://localhost:4317", "$OTEL_EXPORTER_OTLP_ENDPOINT, else none"),
    ];

    public static string Help => FlagHelp.Format(
        Usage,
        "Runs a silo in the foreground: the head with --head, or a worker that joins the head at --address.\n" +
        "SIGINT (Ctrl+C), SIGTERM or `granary stop` stops it gracefully: running work drains, then it leaves.\n" +
        "CUDA_VISIBLE_DEVICES in its environment (indexes or GPU UUIDs, e.g. CUDA_VISIBLE_DEVICES=0,1 granary start ...)\n" +
        "restricts the GPUs it manages, as a GPU load balancer does; they keep their device indexes.\n" +
        "A bad flag exits with code 2, any other failure with code 1.",
        Flags);

    public static GranarySiloOptions Parse(string[] args)
    {
        var options = new GranarySiloOptions();
        var head = false;
        var insecure = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--head":
                    head = true;
                    break;
                case "--address":
                    options.HeadAddress = Next();
                    Grains.Hosting.ClusterClientHost.ParseEndpoint(options.HeadAddress);
                    break;
                case "--port":
                    options.Port = Int(flag, Next());
                    break;
                case "--host":
                    options.Host = Next();
                    if (!System.Net.IPAddress.TryParse(options.Host, out _))
                    {
                        throw new ArgumentException($"--host expects an IP address other nodes can reach, got '{options.Host}'");
                    }

                    break;
                case "--tls":
                    options.TlsDirectory = Next();
                    break;
                case "--insecure":
                    insecure = true;
                    break;
                case "--cpus":
                    options.Cpus = Number(flag, Next());
                    break;
                case "--memory":
                    options.MemoryBytes = ByteSize.Parse(Next());
                    break;
                case "--gpus":
                    options.Gpus = Int(flag, Next());
                    break;
                case "--gpu-type":
                    options.GpuType = Next();
                    break;
                case "--gpu-memory":
                    options.GpuMemoryBytes = ByteSize.Parse(Next());
                    break;
                case "--object-store-memory":
                    options.ObjectStoreCapacityBytes = ByteSize.Parse(Next());
                    break;
                case "--spill-dir":
                    options.SpillDirectory = Next();
                    break;
                case "--redis":
                    options.RedisAddress = Next();
                    Grains.Head.Persistence.RedisConfiguration.Parse(options.RedisAddress);
                    break;
                case "--log-dir":
                    options.LogDirectory = Next();
                    break;
                case "--node-id":
                    options.NodeId = Next();
                    break;
                case "--node-timeout":
                    options.NodeDeadTimeout = TimeSpan.FromSeconds(Number(flag, Next()));
                    break;
                case "--gpu-memory-margin":
                    options.GpuMemoryMargin = Number(flag, Next());
                    if (options.GpuMemoryMargin is < 0 or > 10)
                    {
                        throw new ArgumentException($"--gpu-memory-margin expects a share between 0 and 10 (0.1 adds 10 %), got {options.GpuMemoryMargin}");
                    }

                    break;
                case "--heartbeat":
                    options.HeartbeatInterval = TimeSpan.FromSeconds(Number(flag, Next()));
                    break;
                case "--metrics-port":
                    options.MetricsPort = Int(flag, Next());
                    if (options.MetricsPort is < 1 or > 65535)
                    {
                        throw new ArgumentException($"--metrics-port expects a port 1-65535, got {options.MetricsPort}");
                    }

                    break;
                case "--dashboard-port":
                    options.DashboardPort = Int(flag, Next());
                    if (options.DashboardPort is < 0 or > 65535)
                    {
                        throw new ArgumentException($"--dashboard-port expects a port 0-65535 (0 picks a free one), got {options.DashboardPort}");
                    }

                    break;
                case "--otlp-endpoint":
                    options.OtlpEndpoint = Next();
                    if (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var otlp) || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps))
                    {
                        throw new ArgumentException($"--otlp-endpoint expects an http or https URL such as http://localhost:4317, got '{options.OtlpEndpoint}'");
                    }

                    break;
                case "--resources":
                    foreach (var pair in Next().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var parts = pair.Split('=');
                        if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || parts[0].Length == 0)
                        {
                            throw new ArgumentException($"--resources expects name=amount pairs separated by commas, got '{pair}'");
                        }

                        options.Resources[parts[0]] = amount;
                    }

                    break;
                default:
                    throw new ArgumentException($"unknown flag '{flag}' for 'granary start' (`granary start --help` lists them)");
            }
        }

        if (head == (options.HeadAddress is not null))
        {
            throw new ArgumentException("give exactly one of --head (start a head silo) or --address head:port (join one)");
        }

        if (!head && options.RedisAddress is not null)
        {
            throw new ArgumentException("--redis belongs on the head (`granary start --head --redis host:port`); workers find the head with --address");
        }

        if (!head && options.DashboardPort is not null)
        {
            throw new ArgumentException("--dashboard-port belongs on the head (`granary start --head --dashboard-port N`); its dashboard shows every node, workers included");
        }

        if (!insecure && options.TlsDirectory is null && options.Host is { } host && System.Net.IPAddress.TryParse(host, out var ip) && !System.Net.IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException(
                $"refusing --host {host} without TLS: anyone who reaches that address could join, ship code and run it as this user. Add --tls DIR (`granary cert init` then `granary cert issue --node NAME`), use a loopback address, or add --insecure on a network you trust");
        }

        // The head coordinates; it offers no CPUs or GPUs to work unless told to.
        if (head)
        {
            options.Cpus ??= 0;
            options.Gpus ??= 0;
        }

        options.Validate();
        return options;
    }

    public static async Task<int> RunAsync(GranarySiloOptions options)
    {
        // The file is named by node id, so the id is fixed here rather than at the silo's start.
        options.NodeId ??= "node-" + Guid.NewGuid().ToString("N")[..12];
        using var logFile = options.LogDirectory is null ? null : FileLoggerProvider.Open(options.LogDirectory, options.NodeId);
        using var loggerFactory = LoggerFactory.Create(b =>
        {
            b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);
            if (logFile is not null)
            {
                b.AddProvider(logFile);
            }
        });
        options.LoggerFactory = loggerFactory;
        void Say(string line)
        {
            Console.WriteLine(line);
            logFile?.WriteLine(line);
        }

        var stop = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            // Stop gracefully ourselves instead of letting the runtime tear the process down mid-work.
            context.Cancel = true;
            stop.TrySetResult(context.Signal.ToString());
        }

        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);

        var silo = await SiloHost.StartAsync(options).ConfigureAwait(false);
        var runFile = RunFiles.Write(new RunRecord(Environment.ProcessId, silo.NodeId, silo.Address, silo.IsHead, DateTimeOffset.UtcNow, silo.IsHead ? silo.Address : options.HeadAddress));
        Say($"granary: {(silo.IsHead ? "head" : "worker")} silo {silo.NodeId} listening on {silo.Address}");
        if (silo.MetricsUrl is { } metrics)
        {
            Say($"granary: metrics of silo {silo.NodeId} at {metrics}");
        }

        if (silo.DashboardUrl is { } dashboard)
        {
            Say($"granary: dashboard of the cluster at {dashboard}");
        }

        try
        {
            var signal = await stop.Task.ConfigureAwait(false);
            Say($"granary: {signal} received, stopping silo {silo.NodeId} (running work drains first)");
        }
        finally
        {
            await silo.DisposeAsync().ConfigureAwait(false);
            RunFiles.TryDelete(runFile);
        }

        Say($"granary: silo {silo.NodeId} stopped");
        return 0;
    }

    private static int Int(string flag, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw new ArgumentException($"{flag} expects a whole number, got '{value}'");

    private static double Number(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : throw new ArgumentException($"{flag} expects a number, got '{value}'");
}
