using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Granary.Silo.Tests;

/// <summary>
/// A cluster of silos, each a separate OS process running the `granary` apphost from the test's output
/// directory: `granary start --head ...` and `granary start --address head ...`. Each cluster has its own
/// GRANARY_RUN_DIR (unless made to share one), so `granary stop` and `granary status` run through
/// <see cref="RunCliAsync"/> only see this cluster's silos. Every line a silo writes is kept for
/// diagnostics. Disposing kills every process the cluster started (and their worker processes). Thread-safe.
/// </summary>
public sealed partial class ProcessCluster : IAsyncDisposable
{
    /// <summary>Short heartbeats so failure tests finish quickly; the head declares a node dead after 2 s of silence.</summary>
    public static readonly string[] HeadDefaults = ["--heartbeat", "0.2", "--node-timeout", "2"];

    public static readonly string[] WorkerDefaults = ["--heartbeat", "0.2"];

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly object _gate = new();
    private readonly List<SiloProcess> _started = [];
    private readonly Dictionary<string, SiloProcess> _current = new(StringComparer.Ordinal);
    private readonly bool _ownsRunDirectory;
    private int _disposed;

    public ProcessCluster()
    {
        RunDirectory = Path.Combine(Path.GetTempPath(), "granary-test-run-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(RunDirectory);
        _ownsRunDirectory = true;
    }

    /// <summary>A cluster that shares another's run directory, as two clusters of one user on one machine do by default.</summary>
    public ProcessCluster(string runDirectory) => RunDirectory = runDirectory;

    /// <summary>The `granary` executable built beside the tests.</summary>
    public static string Apphost => Path.Combine(AppContext.BaseDirectory, "granary");

    /// <summary>Variables every process this cluster starts from now on gets, beside GRANARY_RUN_DIR.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>This cluster's GRANARY_RUN_DIR (a fresh temp folder).</summary>
    public string RunDirectory { get; }

    public SiloProcess Head => Silo("head");

    public string HeadAddress => Head.Address;

    /// <summary>The latest process started under this node id.</summary>
    public SiloProcess Silo(string nodeId)
    {
        lock (_gate)
        {
            return _current.TryGetValue(nodeId, out var silo) ? silo : throw new ArgumentException($"no silo '{nodeId}' was started in this cluster", nameof(nodeId));
        }
    }

    /// <summary>`granary start --head --port 0 --node-id head` plus the default heartbeat flags (unless given) and <paramref name="extraArgs"/>.</summary>
    public Task<SiloProcess> StartHeadAsync(params string[] extraArgs) => StartHeadOnPortAsync(0, extraArgs);

    /// <summary>`granary start --address head --port 0 --node-id ID` plus the default heartbeat flag (unless given) and <paramref name="extraArgs"/>.</summary>
    public Task<SiloProcess> StartWorkerAsync(string nodeId, params string[] extraArgs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        string[] args = ["start", "--address", HeadAddress, "--port", "0", "--node-id", nodeId, .. WithDefaults(WorkerDefaults, extraArgs)];
        return StartSiloAsync(nodeId, args);
    }

    /// <summary>Starts a new head process on the old head's port (the old one is killed first if it still runs).</summary>
    public async Task<SiloProcess> RestartHeadAsync(params string[] extraArgs)
    {
        var old = Head;
        if (!old.HasExited)
        {
            await KillAsync("head");
        }

        var port = int.Parse(old.Address[(old.Address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Exception? last = null;
        // The port can take a moment to be free again after the old process died.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                return await StartHeadOnPortAsync(port, extraArgs);
            }
            catch (SiloStartException ex) when (ex.Output.Contains("is in use", StringComparison.Ordinal) || ex.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                last = ex;
                await Task.Delay(250);
            }
        }

        throw new InvalidOperationException($"could not restart the head on port {port}", last);
    }

    /// <summary>Kills the silo with SIGKILL, as a crash of its machine would (its worker processes die too), and waits until it is gone.</summary>
    public async Task KillAsync(string nodeId)
    {
        var silo = Silo(nodeId);
        try
        {
            silo.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await WaitForExitAsync(silo, TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends SIGTERM (a graceful stop: running work drains, then the node leaves) and waits for the exit code.</summary>
    public async Task<int> StopAsync(string nodeId, TimeSpan? timeout = null)
    {
        var silo = Silo(nodeId);
        if (!silo.HasExited && SendSignal(silo.Pid, Sigterm) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) of {nodeId} (pid {silo.Pid}) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        await WaitForExitAsync(silo, timeout ?? TimeSpan.FromSeconds(40));
        return silo.Process.ExitCode;
    }

    /// <summary>A client (a new job) connected to the head.</summary>
    public Task<GranaryClient> ConnectAsync(ClientOptions? options = null) => GranaryClient.ConnectAsync(HeadAddress, options);

    /// <summary>
    /// Waits until every live worker has all its resources free again (earlier jobs' leases, actors and
    /// placement groups are released when their clients disconnect, which the head does asynchronously).
    /// </summary>
    public async Task WaitForIdleAsync(GranaryClient client, TimeSpan? timeout = null)
    {
        IReadOnlyList<NodeDescription> busy = [];
        await Eventually.HoldsAsync(
            async () => (busy = [.. (await client.GetNodesAsync().WithTimeout()).Where(n => n.Alive && n.Total.Any(t => Math.Abs(n.Available.GetValueOrDefault(t.Key) - t.Value) > 1e-6))]).Count == 0,
            timeout ?? TimeSpan.FromSeconds(15),
            "the cluster becomes idle",
            () => string.Join("; ", busy.Select(Describe)));
    }

    /// <summary>"w1 (alive): CPU 1/2 free, GPU 2/2 free".</summary>
    public static string Describe(NodeDescription node) =>
        $"{node.NodeId} ({(node.Alive ? "alive" : "dead")}): " + string.Join(", ", node.Total.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} {node.Available.GetValueOrDefault(t.Key):0.##}/{t.Value:0.##} free"));

    /// <summary>A fresh folder for <see cref="ClusterJobs.HoldUntilOpen"/>: tasks mark themselves started there and wait for "open".</summary>
    public string NewGate()
    {
        var gate = Path.Combine(RunDirectory, "gate-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(gate);
        return gate;
    }

    /// <summary>Waits until <paramref name="count"/> gated tasks have started; returns "INDEX@NODE" for each.</summary>
    public static async Task<string[]> WaitStartedAsync(string gate, int count, TimeSpan? timeout = null)
    {
        string[] started = [];
        await Eventually.HoldsAsync(
            () => (started = [.. Directory.GetFiles(gate, "started-*").Select(f => Path.GetFileName(f)["started-".Length..])]).Length >= count,
            timeout ?? TimeSpan.FromSeconds(30),
            $"{count} gated tasks start",
            () => string.Join(", ", started));
        return started;
    }

    /// <summary>Lets every task waiting at the gate finish.</summary>
    public static void Open(string gate) => File.WriteAllText(Path.Combine(gate, "open"), string.Empty);

    /// <summary>Runs `granary ARGS` with this cluster's run directory; returns its exit code and output. Killed after <paramref name="timeout"/> (default 60 s).</summary>
    public Task<CliResult> RunCliAsync(params string[] args) => RunCliAsync(TimeSpan.FromSeconds(60), args);

    public async Task<CliResult> RunCliAsync(TimeSpan timeout, params string[] args)
    {
        var run = await ProcessRun.RunAsync(StartInfo(args), timeout, "granary " + string.Join(' ', args));
        return new CliResult(run.ExitCode, run.Stdout, run.Stderr);
    }

    /// <summary>How to start `granary ARGS` with this cluster's run directory, for a command the test runs and stops itself (`status --watch`).</summary>
    public ProcessStartInfo CliStartInfo(params string[] args) => StartInfo(args);

    /// <summary>How much each silo process has written so far, for <see cref="AllOutput"/> to start from.</summary>
    public IReadOnlyDictionary<SiloProcess, int> OutputMark()
    {
        lock (_gate)
        {
            return _started.ToDictionary(s => s, s => s.Output.Length);
        }
    }

    /// <summary>Everything every silo process of this cluster wrote (after <paramref name="since"/>, if given), one block per process.</summary>
    public string AllOutput(IReadOnlyDictionary<SiloProcess, int>? since = null)
    {
        List<SiloProcess> started;
        lock (_gate)
        {
            started = [.. _started];
        }

        var text = new StringBuilder();
        foreach (var silo in started)
        {
            var output = silo.Output;
            var from = since is not null && since.TryGetValue(silo, out var mark) ? Math.Min(mark, output.Length) : 0;
            text.AppendLine($"----- {silo.NodeId} (pid {silo.Pid}{(silo.HasExited ? ", exited" : string.Empty)}){(from > 0 ? ", output since the test started" : string.Empty)} -----");
            text.AppendLine(output[from..]);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<SiloProcess> started;
        lock (_gate)
        {
            started = [.. _started];
        }

        foreach (var silo in started)
        {
            try
            {
                silo.Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
        }

        foreach (var silo in started)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await silo.Process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Nothing more to do; the test run reports leaked processes itself.
            }

            silo.Process.Dispose();
        }

        if (!_ownsRunDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<SiloProcess> StartHeadOnPortAsync(int port, string[] extraArgs)
    {
        string[] args = ["start", "--head", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--node-id", "head", .. WithDefaults(HeadDefaults, extraArgs)];
        return await StartSiloAsync("head", args);
    }

    /// <summary>The defaults, except flags the caller gives itself (so a test can pick its own heartbeat or node timeout).</summary>
    private static string[] WithDefaults(string[] defaults, string[] extraArgs)
    {
        var result = new List<string>();
        for (var i = 0; i < defaults.Length; i += 2)
        {
            if (!extraArgs.Contains(defaults[i]))
            {
                result.Add(defaults[i]);
                result.Add(defaults[i + 1]);
            }
        }

        result.AddRange(extraArgs);
        return [.. result];
    }

    private async Task<SiloProcess> StartSiloAsync(string nodeId, string[] args)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var process = new Process { StartInfo = StartInfo(args), EnableRaisingEvents = true };
        var silo = new SiloProcess(nodeId, process, args);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data, stderr: false);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data, stderr: true);
        process.Start();
        silo.Pid = process.Id;
        lock (_gate)
        {
            _started.Add(silo);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = WatchExitAsync(silo);
        try
        {
            await silo.Listening.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new SiloStartException($"silo {nodeId} did not report its address within {StartTimeout.TotalSeconds:0} s (`granary {string.Join(' ', args)}`). Output so far:\n{silo.Output}", silo.Output);
        }

        lock (_gate)
        {
            _current[nodeId] = silo;
        }

        return silo;
    }

    private static async Task WatchExitAsync(SiloProcess silo)
    {
        // WaitForExitAsync also waits for the end of the redirected output, so the whole output is captured.
        await silo.Process.WaitForExitAsync();
        silo.OnExited();
    }

    private static async Task WaitForExitAsync(SiloProcess silo, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await silo.Process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"silo {silo.NodeId} (pid {silo.Pid}) did not exit within {timeout.TotalSeconds:0} s. Output:\n{silo.Output}");
        }
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo(Apphost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GRANARY_RUN_DIR"] = RunDirectory;
        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("GRANARY_ADDRESS");
        return start;
    }

    private const int Sigterm = 15;

    // .NET's Process.Kill only sends SIGKILL; a graceful stop needs SIGTERM.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}

/// <summary>One `granary start` process and everything it wrote.</summary>
public sealed partial class SiloProcess
{
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _exited;

    internal SiloProcess(string nodeId, Process process, string[] args)
    {
        NodeId = nodeId;
        Process = process;
        Args = args;
    }

    public string NodeId { get; }

    public Process Process { get; }

    public IReadOnlyList<string> Args { get; }

    /// <summary>host:port from the silo's `listening on` line.</summary>
    public string Address { get; private set; } = string.Empty;

    public int Pid { get; internal set; }

    /// <summary>True once the process exited and all its output was read.</summary>
    public bool HasExited => Volatile.Read(ref _exited);

    /// <summary>stdout and stderr (stderr lines prefixed "! "), in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    internal Task<string> Listening => _listening.Task;

    internal void OnLine(string? line, bool stderr)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(stderr ? "! " : string.Empty).AppendLine(line);
        }

        if (!stderr && ListeningLine().Match(line) is { Success: true } match && match.Groups["id"].Value == NodeId)
        {
            Address = match.Groups["address"].Value;
            _listening.TrySetResult(Address);
        }
    }

    internal void OnExited()
    {
        Volatile.Write(ref _exited, true);
        _listening.TrySetException(new SiloStartException($"silo {NodeId} exited with code {Process.ExitCode} before it listened (`granary {string.Join(' ', Args)}`). Output:\n{Output}", Output));
    }

    public override string ToString() => $"{NodeId} at {Address} (pid {Pid})";

    [GeneratedRegex(@"^granary: (head|worker) silo (?<id>\S+) listening on (?<address>\S+)$")]
    private static partial Regex ListeningLine();
}

/// <summary>A silo process that did not come up; <see cref="Output"/> is what it wrote.</summary>
public sealed class SiloStartException(string message, string output) : Exception(message)
{
    public string Output { get; } = output;
}

/// <summary>The exit code and output of one `granary` command.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// The process-cluster test classes run one after another: each starts several silo processes, and on a
/// small machine two such clusters at once would starve each other's heartbeats.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection
{
    public const string Name = "process clusters";
}
