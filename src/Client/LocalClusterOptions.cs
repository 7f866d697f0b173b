using Microsoft.Extensions.Logging;

namespace Granary;

/// <summary>Shape of an embedded cluster: a head silo plus worker silos, in this process, each on its own loopback port.</summary>
public sealed class LocalClusterOptions
{
    /// <summary>Worker silos to start beside the head.</summary>
    public int Silos { get; set; } = 2;

    /// <summary>CPUs each worker offers. Null splits this machine's cores across workers (at least 1 each).</summary>
    public double? CpusPerSilo { get; set; }

    /// <summary>Custom resources each worker offers.</summary>
    public IDictionary<string, double> ResourcesPerSilo { get; set; } = new Dictionary<string, double>();

    /// <summary>Values larger than this stay in the producing silo's store instead of travelling inline.</summary>
    public int InlineThresholdBytes { get; set; } = 100 * 1024;

    /// <summary>Largest frame a silo accepts.</summary>
    public int MaxFrameBytes { get; set; } = 256 * 1024 * 1024;

    public ILoggerFactory? LoggerFactory { get; set; }

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
