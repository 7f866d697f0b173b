using Microsoft.Extensions.Logging;

namespace Granary;

/// <summary>How a client behaves. Each default has its reason beside it.</summary>
public sealed class ClientOptions
{
    /// <summary>Serializers tried before the built-in ones (raw arrays, MessagePack).</summary>
    public IList<ISerializer> Serializers { get; } = new List<ISerializer>();

    /// <summary>Values Put() at most this size stay with the client and travel inline; larger ones go to a silo's store (Ray: 100 KiB).</summary>
    public int InlineThresholdBytes { get; set; } = GranaryDefaults.InlineThresholdBytes;

    /// <summary>
    /// Largest piece a large object moves in (puts and gets): 1 MiB makes per-chunk costs vanish next to the
    /// copy, while a small call on the same connection waits behind a few chunks at most. A silo may ask for
    /// smaller chunks (its own setting, or its frame limit).
    /// </summary>
    public int ObjectChunkBytes { get; set; } = GranaryDefaults.ObjectChunkBytes;

    /// <summary>How long to wait for the head when connecting.</summary>
    public TimeSpan ConnectTimeout { get; set; } = GranaryDefaults.ConnectTimeout;

    /// <summary>The node this client counts as local for <see cref="PreferLocalPlacement"/> (e.g. the silo on the client's machine).</summary>
    public string? LocalNodeId { get; set; }

    /// <summary>How often the client checks in with the head, reconnecting after a head restart.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = GranaryDefaults.KeepAliveInterval;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Opens an Orleans connection to each worker node the client works with, so its tasks, actor calls and
    /// object bytes go straight there instead of through the head's gateway. On by default; applies to
    /// clients that connect by address (a client over your own Orleans client uses that client's gateways).
    /// </summary>
    public bool DirectRoutes { get; set; } = true;

    /// <summary>
    /// Ships what this job's tasks and actors write (Console.Out, Console.Error and
    /// <c>TaskContext.Logger</c>) back to this client, which prints each line to its own console as
    /// <c>(node-id task=Name) line</c> and raises <see cref="GranaryClient.TaskLog"/> (Ray's log_to_driver).
    /// On by default; false ships nothing: the lines stay in each node's own output.
    /// </summary>
    public bool LogToDriver { get; set; } = true;

    /// <summary>
    /// Environment variables for every task and actor of this job (Ray's runtime_env env_vars): in a worker
    /// process they are in the process's environment; in a silo, whose process all jobs share, read them
    /// through <c>TaskContext.Current.GetEnv(name)</c> or <c>TaskContext.Current.Environment</c>.
    /// </summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Like <see cref="Environment"/>, for credentials (an MLflow token): tasks see them the same way, but
    /// Granary never logs them, never shows them in <c>granary status</c>, and never writes them to the
    /// head's Redis store (a head restored from Redis no longer has them).
    /// </summary>
    public IDictionary<string, string> Secrets { get; } = new SecretDictionary();

    /// <summary>
    /// Most bytes of assemblies this job may ship. A job over it fails before anything is uploaded, with a
    /// <see cref="CodeLoadException"/> that names its size and this limit (the head checks too).
    /// </summary>
    public long MaxCodeBytes { get; set; } = GranaryDefaults.MaxCodeBytes;

    /// <summary>
    /// A folder from `granary cert issue --client NAME` (ca.crt, tls.crt, tls.key) for a cluster whose silos
    /// run with `--tls`: the client connects over mutual TLS and accepts only gateways with a node
    /// certificate from the same CA. Null: the folder saved with the cluster's name (`granary connect NAME
    /// --tls DIR`), else $GRANARY_TLS, else plain TCP.
    /// </summary>
    public string? TlsDirectory { get; set; }

    /// <summary>Orleans cluster id of the cluster to join; Granary's silos use the same default.</summary>
    public string ClusterId { get; set; } = GranaryDefaults.ClusterId;

    /// <summary>Fails on a value no client can work with, naming the option and its fix.</summary>
    /// <summary>
    /// The job's namespace (Ray's): its named actors live in it, so the same name in two namespaces is two
    /// actors, and the job finds, sees and kills only actors of its own namespace. Jobs that name none share
    /// <see cref="GranaryDefaults.Namespace"/>. Letters, digits, '.', '_' and '-', at most 64.
    /// </summary>
    public string Namespace { get; set; } = GranaryDefaults.Namespace;

    internal void Validate()
    {
        if (Namespace is null || Namespace.Length is 0 or > 64 || !Namespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"ClientOptions.Namespace '{Namespace}' is not a namespace: use 1-64 letters, digits, '.', '_' and '-' (or leave it at '{GranaryDefaults.Namespace}').", nameof(Namespace));
        }

        if (ObjectChunkBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ObjectChunkBytes), ObjectChunkBytes, $"ClientOptions.ObjectChunkBytes must be positive; leave it at {GranaryDefaults.ObjectChunkBytes} unless a silo asks for less.");
        }

        if (InlineThresholdBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InlineThresholdBytes), InlineThresholdBytes, $"ClientOptions.InlineThresholdBytes cannot be negative; 0 sends every Put to a store, the default is {GranaryDefaults.InlineThresholdBytes}.");
        }

        if (ConnectTimeout <= TimeSpan.Zero || KeepAliveInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(ConnectTimeout <= TimeSpan.Zero ? nameof(ConnectTimeout) : nameof(KeepAliveInterval), "ClientOptions.ConnectTimeout and KeepAliveInterval must be positive durations.");
        }

        if (MaxCodeBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCodeBytes), MaxCodeBytes, $"ClientOptions.MaxCodeBytes must be positive; the default is {GranaryDefaults.MaxCodeBytes} bytes (15 GB).");
        }

        foreach (var name in Environment.Keys.Concat(Secrets.Keys))
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"ClientOptions.Environment and Secrets take environment variable names; '{name}' is empty or holds '=' or NUL.", name.Length == 0 ? nameof(Environment) : name);
            }
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            throw new ArgumentException($"ClientOptions.ClusterId cannot be empty; Granary's silos use '{GranaryDefaults.ClusterId}' unless started with --cluster-id.", nameof(ClusterId));
        }
    }

    /// <summary>The job's settings as its code registration carries them to the head and every node.</summary>
    internal Runtime.Wire.JobSettings Settings()
    {
        var settings = new Runtime.Wire.JobSettings { LogToDriver = LogToDriver, Namespace = Namespace };
        settings.Environment.Add(Environment);
        settings.Secrets.Add(Secrets);
        return settings;
    }
}
