using Microsoft.Extensions.Logging;

namespace Granary.Grains;

/// <summary>
/// Everything a Granary silo is started with, each default with its reason. Validate() names the fix for a
/// bad value. Named apart from Orleans' own SiloOptions, which a host configures beside it.
/// </summary>
public sealed class GranarySiloOptions
{
    /// <summary>Stable id of this node; a fresh one when null.</summary>
    public string? NodeId { get; set; }

    /// <summary>Address to listen on; loopback by default so nothing is exposed by accident.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Port of this silo's Orleans gateway, where clients connect; 0 picks a free one (the embedded cluster uses that).</summary>
    public int Port { get; set; }

    /// <summary>Port for silo-to-silo traffic; 0 means <see cref="Port"/> + 1 when a port is given, else a free one.</summary>
    public int SiloPort { get; set; }

    /// <summary>The head silo's host:port (its gateway); null makes this silo the head.</summary>
    public string? HeadAddress { get; set; }

    /// <summary>Orleans cluster id; clients must use the same one.</summary>
    public string ClusterId { get; set; } = GranaryDefaults.ClusterId;

    /// <summary>Orleans service id; names Granary's data in shared providers such as Redis.</summary>
    public string ServiceId { get; set; } = GranaryDefaults.ServiceId;

    /// <summary>CPUs offered to work. Null means all of this machine's.</summary>
    public double? Cpus { get; set; }

    /// <summary>Memory offered to work, in bytes (0 means none is advertised).</summary>
    public long MemoryBytes { get; set; }

    /// <summary>Custom resources this node offers by name.</summary>
    public IDictionary<string, double> Resources { get; set; } = new Dictionary<string, double>();

    /// <summary>Values at most this size travel inline in messages; larger ones stay in the producing silo's store (Ray uses 100 KiB).</summary>
    public int InlineThresholdBytes { get; set; } = GranaryDefaults.InlineThresholdBytes;

    /// <summary>Largest Orleans message this silo accepts; a bigger one fails only that call. Large objects move in chunks, so it does not bound their size.</summary>
    public int MaxFrameBytes { get; set; } = GranaryDefaults.MaxMessageBytes;

    /// <summary>Largest piece a large object moves in, to and from this silo (also capped by MaxFrameBytes); see ClientOptions.ObjectChunkBytes.</summary>
    public int ObjectChunkBytes { get; set; } = GranaryDefaults.ObjectChunkBytes;

    /// <summary>GPUs to offer. Real devices come from NVML; without NVML this many are simulated (scheduling works the same).</summary>
    public int? Gpus { get; set; }

    /// <summary>Type name of simulated GPUs, e.g. "H100" (real devices report their own name).</summary>
    public string? GpuType { get; set; }

    /// <summary>Memory of each simulated GPU in bytes (real devices report their own).</summary>
    public long? GpuMemoryBytes { get; set; }

    /// <summary>
    /// The GPUs this silo may manage, as CUDA_VISIBLE_DEVICES lists them: device indexes ("0,2") or GPU UUIDs
    /// ("GPU-5e1b...", a unique prefix is enough); empty offers no GPUs; null manages every device. Defaults
    /// to the variable in this process's environment, so `CUDA_VISIBLE_DEVICES=0,1 granary start ...` gives
    /// the silo those two, as a GPU load balancer (GLB) or Ray's raylet expects. <see cref="Gpus"/> then counts
    /// within them; with simulated devices it picks among the <see cref="Gpus"/> simulated ones instead. An
    /// entry naming no device, or one named twice, stops the silo from starting. Devices keep their own index:
    /// the node's first GPU under "2,3" is device 2, and a task given it sees CUDA_VISIBLE_DEVICES=2 and
    /// <c>TaskContext.GpuIds</c> [2]. Set it apart from the environment to restrict an in-process silo (an
    /// embedded cluster shares its process's variable); work inside the silo's process is still numbered by
    /// CUDA through the process's own variable.
    /// </summary>
    public string? CudaVisibleDevices { get; set; } = Environment.GetEnvironmentVariable(Runtime.Gpus.CudaVisibleDevices.Variable);

    /// <summary>How often a silo reports its load (running and queued tasks, store figures) to the head.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On the head: what packing by GPU memory adds to a measured profile, as a share of it (0.1 = 10 %;
    /// <c>granary start --gpu-memory-margin</c>).
    /// </summary>
    public double GpuMemoryMargin { get; set; } = GranaryDefaults.GpuMemoryMargin;

    /// <summary>
    /// A silo that stops answering Orleans' probes is declared dead within about this long; Granary then
    /// fails or retries its work in flight at once. It also bounds how long the head waits for restored
    /// nodes and for clients that lost the cluster.
    /// </summary>
    public TimeSpan NodeDeadTimeout { get; set; } = GranaryDefaults.NodeDeadTimeout;

    /// <summary>How often clients keep their jobs alive; the head ends a job silent for three of these (or the node timeout, if longer).</summary>
    public TimeSpan JobKeepAliveInterval { get; set; } = GranaryDefaults.KeepAliveInterval;

    /// <summary>
    /// A Redis server (host:port, or a StackExchange.Redis configuration string such as
    /// host:port,password=...,user=...,ssl=true): every silo keeps Orleans
    /// membership there, and the head its tables, so a restarted head recovers them. Null: the head is the
    /// primary silo of Orleans development clustering and keeps its tables in memory.
    /// </summary>
    public string? RedisAddress { get; set; }

    /// <summary>
    /// A folder from `granary cert issue --node NAME` (ca.crt, tls.crt, tls.key): every connection this silo
    /// makes or accepts is mutual TLS, and only certificates from that CA get in (nodes on the silo port,
    /// nodes and clients on the gateway). Null: plain TCP, for loopback and trusted networks only.
    /// </summary>
    public string? TlsDirectory { get; set; }

    /// <summary>The loaded <see cref="TlsDirectory"/>; SiloHost loads it before anything starts, so a bad folder is one line.</summary>
    internal Security.ClusterTls? Tls { get; set; }

    /// <summary>The head's table store, when the host connected one before starting the silo.</summary>
    internal Head.Persistence.IHeadStore? HeadStore { get; set; }

    /// <summary>How long a worker silo waits for the head when it starts before it gives up naming the address.</summary>
    public TimeSpan JoinTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a stopping silo lets running work finish before it leaves anyway.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes of large objects a silo keeps in memory before spilling the least recently used to disk (default: 30% of the memory the process may use).</summary>
    public long? ObjectStoreCapacityBytes { get; set; }

    /// <summary>Where spilled objects go (default: a folder under the temp directory named after the node).</summary>
    public string? SpillDirectory { get; set; }

    /// <summary>
    /// `granary start --log-dir`: the folder where the silo also writes its own log (what it prints, with
    /// its worker processes' output) as NODE-ID.log. Null: the console only. A host of your own adds its own
    /// logging providers instead; this one is read by `granary start`.
    /// </summary>
    public string? LogDirectory { get; set; }

    /// <summary>Worker processes kept started ahead of need for process isolation.</summary>
    public int PrestartedWorkers { get; set; } = 1;

    /// <summary>
    /// Port of this silo's Prometheus scrape endpoint (http://Host:port/metrics: Granary's meter and Orleans');
    /// null serves none. `granary start` serves it (--metrics-port); a silo in your own host exports through
    /// your OpenTelemetry setup instead (<see cref="GranaryTelemetry"/>).
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>
    /// Head only: port of the dashboard, a web page at http://Host:port/ showing the cluster live (nodes, jobs,
    /// tasks, actors, placement groups, object stores, metrics) and its data as JSON at /api/status; 0 picks
    /// a free port (the silo's DashboardUrl names it); null serves none. `granary start --head --dashboard-port N`.
    /// </summary>
    public int? DashboardPort { get; set; }

    /// <summary>
    /// Where `granary start` sends metrics and spans over OTLP (e.g. http://collector:4317); null uses the
    /// standard OTEL_EXPORTER_OTLP_ENDPOINT variable when it is set, else sends nothing.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How to start a worker process (the `granary` executable); the host that starts the silo sets it.</summary>
    internal Func<System.Diagnostics.ProcessStartInfo>? WorkerStartInfo { get; set; }

    public bool IsHead => HeadAddress is null;

    /// <summary>The resources a silo with these options and these GPUs offers (what the head schedules and silo metadata publishes).</summary>
    internal Runtime.Scheduling.ResourceSet OfferedResources(Runtime.Gpus.GpuInventory gpus)
    {
        var amounts = new Dictionary<string, double>(Resources)
        {
            [Runtime.Scheduling.ResourceSet.Cpu] = Cpus ?? Environment.ProcessorCount,
        };
        if (MemoryBytes > 0)
        {
            amounts[Runtime.Scheduling.ResourceSet.Memory] = MemoryBytes;
        }

        if (gpus.Devices.Count > 0)
        {
            amounts[Runtime.Scheduling.ResourceSet.Gpu] = gpus.Devices.Count;
        }

        return new Runtime.Scheduling.ResourceSet(amounts);
    }

    public void Validate()
    {
        if (!double.IsFinite(GpuMemoryMargin) || GpuMemoryMargin < 0 || GpuMemoryMargin > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuMemoryMargin), GpuMemoryMargin, "GpuMemoryMargin is a share of a profile between 0 and 10 (0.1 adds 10 %).");
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0 (pick a free port) or 1-65535.");
        }

        if (Cpus is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Cpus), Cpus, "Cpus must be 0 or more.");
        }

        if (MemoryBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "MemoryBytes must be 0 or more.");
        }

        if (InlineThresholdBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InlineThresholdBytes), InlineThresholdBytes, "InlineThresholdBytes must be 0 or more.");
        }

        if (Gpus is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Gpus), Gpus, "Gpus must be 0 or more.");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || NodeDeadTimeout <= HeartbeatInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(NodeDeadTimeout), NodeDeadTimeout, $"NodeDeadTimeout must be longer than HeartbeatInterval ({HeartbeatInterval}).");
        }

        if (MaxFrameBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), MaxFrameBytes, "MaxFrameBytes must be at least 1024.");
        }

        if (MetricsPort is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(MetricsPort), MetricsPort, "MetricsPort must be 1-65535 (or null for no scrape endpoint).");
        }

        if (DashboardPort is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(DashboardPort), DashboardPort, "DashboardPort must be 0 (pick a free port), 1-65535, or null for no dashboard.");
        }

        if (DashboardPort is not null && !IsHead)
        {
            throw new ArgumentException("DashboardPort belongs on the head (`granary start --head --dashboard-port N`); the head's dashboard shows every node, so a worker serves none.", nameof(DashboardPort));
        }

        if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"OtlpEndpoint must be an absolute URL such as http://collector:4317, got '{OtlpEndpoint}'.", nameof(OtlpEndpoint));
        }

        if (ObjectChunkBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ObjectChunkBytes), ObjectChunkBytes, "ObjectChunkBytes must be at least 1.");
        }
    }
}
