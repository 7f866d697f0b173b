using Microsoft.Extensions.Logging;

namespace Granary;

/// <summary>Shape of an embedded cluster: a head silo plus worker silos, in this process, each on its own loopback port.</summary>
public sealed class LocalClusterOptions
{
    /// <summary>Worker silos to start beside the head.</summary>
    public int Silos { get; set; } = 2;

    /// <summary>CPUs each worker offers. Null splits this machine's cores across workers (at least 1 each).</summary>
    public double? CpusPerSilo { get; set; }

    /// <summary>GPUs each worker offers; simulated where NVML finds none. Null offers whatever NVML finds (none without it).</summary>
    public int? GpusPerSilo { get; set; }

    /// <summary>Type of the simulated GPUs, e.g. "H100".</summary>
    public string? GpuType { get; set; }

    /// <summary>Memory of each simulated GPU.</summary>
    public long? GpuMemoryBytes { get; set; }

    /// <summary>Worker processes each silo starts ahead of need; 0 (the default here) starts them on first use, keeping the embedded cluster light.</summary>
    public int PrestartedWorkers { get; set; }

    /// <summary>How long a silent worker silo lives on before the head declares it dead.</summary>
    public TimeSpan NodeDeadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of large objects each worker keeps in memory before spilling to disk; null uses the silo default.</summary>
    public long? ObjectStoreCapacityBytes { get; set; }

    /// <summary>Custom resources each worker offers.</summary>
    public IDictionary<string, double> ResourcesPerSilo { get; set; } = new Dictionary<string, double>();

    /// <summary>Values larger than this stay in the producing silo's store instead of travelling inline.</summary>
    public int InlineThresholdBytes { get; set; } = GranaryDefaults.InlineThresholdBytes;

    /// <summary>Largest frame a silo accepts. Large objects move in chunks within it, so it does not bound their size.</summary>
    public int MaxFrameBytes { get; set; } = GranaryDefaults.MaxMessageBytes;

    /// <summary>Largest piece a large object moves in, to and from each silo (see <see cref="ClientOptions.ObjectChunkBytes"/>).</summary>
    public int ObjectChunkBytes { get; set; } = GranaryDefaults.ObjectChunkBytes;

    /// <summary>
    /// Serve the head's dashboard (a live web page of the cluster) on this loopback port; 0 picks a free one.
    /// <see cref="LocalCluster.DashboardUrl"/> names it. Null, the default, serves none.
    /// </summary>
    public int? DashboardPort { get; set; }

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// A node certificate folder (`granary cert issue --node NAME`): every silo runs mutual TLS with it, as
    /// `granary start --tls DIR` does, and the returned client connects with it unless
    /// <see cref="ClientOptions.TlsDirectory"/> names a client certificate of its own. Null: plain TCP.
    /// </summary>
    public string? TlsDirectory { get; set; }

    /// <summary>Options for the client the cluster returns.</summary>
    public ClientOptions Client { get; set; } = new();

    internal void Validate()
    {
        if (Silos < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Silos), Silos, "An embedded cluster needs at least 1 worker silo.");
        }

        if (CpusPerSilo is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CpusPerSilo), CpusPerSilo, "CpusPerSilo must be 0 or more.");
        }
    }
}
