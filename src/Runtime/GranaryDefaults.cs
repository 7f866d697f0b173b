namespace Granary;

/// <summary>
/// Every default Granary's options share, in one place, each with its reason. Silo, client and embedded
/// cluster options all start from these.
/// </summary>
public static class GranaryDefaults
{
    /// <summary>Values at most this size travel inline in messages; larger ones stay in a silo's store (Ray uses 100 KiB).</summary>
    public const int InlineThresholdBytes = 100 * 1024;

    /// <summary>Large objects move in pieces of this size: big enough to amortize a call, small enough that other calls interleave.</summary>
    public const int ObjectChunkBytes = 1024 * 1024;

    /// <summary>Largest message Orleans accepts (its own default is 100 MB); large objects move in chunks, so it does not bound their size.</summary>
    public const int MaxMessageBytes = 256 * 1024 * 1024;

    /// <summary>Orleans cluster id every Granary silo and client uses unless told otherwise, so a client needs only an address.</summary>
    public const string ClusterId = "granary";

    /// <summary>The namespace of jobs that name none (ClientOptions.Namespace): named actors are shared across such jobs.</summary>
    public const string Namespace = "default";

    /// <summary>Orleans service id: names Granary's data in shared providers (Redis).</summary>
    public const string ServiceId = "granary";

    /// <summary>A silo that stops answering is declared dead within about this long (Ray uses 30 s; the brief asks for 3 s).</summary>
    public static readonly TimeSpan NodeDeadTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How often a client tells the head its job lives; the head ends a job that stays silent past its grace period.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(2);

    /// <summary>How often <c>GranaryClient.MonitorAsync</c> and `granary status --watch` ask for new samples; nodes sample at each heartbeat (1 s by default), so asking more often shows nothing new.</summary>
    public static readonly TimeSpan MonitorInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a client or a joining silo waits for the cluster before it gives up naming the address.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What packing by GPU memory adds to a measured profile (0.1: a job type measured at 20 GB is given 22 GB
    /// of a device): room for runs that vary a little, so they do not run out beside others.
    /// </summary>
    public const double GpuMemoryMargin = 0.1;

    /// <summary>
    /// Most bytes of assemblies one job may ship (15 GB, the seed API's limit): a job that drags a model or
    /// data file in as an assembly fails at once with the size, instead of filling the head's memory.
    /// </summary>
    public const long MaxCodeBytes = 15L * 1000 * 1000 * 1000;

    /// <summary>
    /// Lines of task output one process holds for the jobs' clients before it drops lines (counted, and
    /// reported to the client) rather than block a task that writes faster than the client reads.
    /// </summary>
    public const int LogBufferLines = 10_000;

    /// <summary>Longer task output lines are cut, so one line cannot take a batch's whole message.</summary>
    public const int MaxLogLineChars = 16 * 1024;

    /// <summary>How long task output waits to be batched before it goes to the client: a line a tick, never a call a line.</summary>
    public static readonly TimeSpan LogFlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most bytes of zipped files one `granary submit` may ship (512 MiB, about Ray's working_dir limit): the
    /// head holds them in memory until a node has unpacked them, so a build folder that drags in a data set
    /// is refused with its size at once.
    /// </summary>
    public const long MaxSubmissionBytes = 512L * 1024 * 1024;

    /// <summary>Submitted files move in pieces of this size, well under <see cref="MaxMessageBytes"/>.</summary>
    public const int SubmissionChunkBytes = 4 * 1024 * 1024;

    /// <summary>Lines of a submitted job's output the head keeps (its tail; earlier ones are counted as dropped), as Ray's job logs are bounded.</summary>
    public const int SubmissionLogLines = 10_000;
}
