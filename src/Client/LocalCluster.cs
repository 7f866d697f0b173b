using Granary.Grains;
using Granary.Silo;

namespace Granary;

/// <summary>
/// An embedded cluster: a head silo and worker silos in this process, each listening on its own loopback
/// port and talking over TCP exactly as separate machines would.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<SiloHost> _silos;

    private LocalCluster(List<SiloHost> silos) => _silos = silos;

    public string HeadAddress => _silos[0].Address;

    /// <summary>http://127.0.0.1:port/ of the head's dashboard; null unless <see cref="LocalClusterOptions.DashboardPort"/> asked for one.</summary>
    public string? DashboardUrl => _silos[0].DashboardUrl;

    /// <summary>The head first, then the workers.</summary>
    public IReadOnlyList<SiloHost> Silos => _silos;

    /// <summary>Starts the cluster and returns a client connected to it; disposing the client stops the cluster.</summary>
    public static async Task<GranaryClient> StartAsync(LocalClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalClusterOptions();
        options.Validate();
        var cluster = await StartSilosAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            var client = await GranaryClient.ConnectAsync(cluster.HeadAddress, options.Client, options.TlsDirectory, cancellationToken).ConfigureAwait(false);
            client.OwnCluster(cluster);
            return client;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts only the silos, for callers that connect their own clients.</summary>
    public static async Task<LocalCluster> StartSilosAsync(LocalClusterOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var silos = new List<SiloHost>();
        var cluster = new LocalCluster(silos);
        try
        {
            silos.Add(await SiloHost.StartAsync(Options(options, head: null, cpus: 0), cancellationToken).ConfigureAwait(false));
            var cpus = options.CpusPerSilo ?? Math.Max(1, Environment.ProcessorCount / options.Silos);
            for (var i = 0; i < options.Silos; i++)
            {
                silos.Add(await SiloHost.StartAsync(Options(options, silos[0].Address, cpus), cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    private static GranarySiloOptions Options(LocalClusterOptions options, string? head, double cpus) => new()
    {
        HeadAddress = head,
        Cpus = cpus,
        Gpus = head is null ? 0 : options.GpusPerSilo,
        GpuType = options.GpuType,
        GpuMemoryBytes = options.GpuMemoryBytes,
        PrestartedWorkers = options.PrestartedWorkers,
        ObjectStoreCapacityBytes = options.ObjectStoreCapacityBytes,
        NodeDeadTimeout = options.NodeDeadTimeout,
        HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Min(1000, options.NodeDeadTimeout.TotalMilliseconds / 4)),
        Resources = head is null ? new Dictionary<string, double>() : new Dictionary<string, double>(options.ResourcesPerSilo),
        InlineThresholdBytes = options.InlineThresholdBytes,
        MaxFrameBytes = options.MaxFrameBytes,
        ObjectChunkBytes = options.ObjectChunkBytes,
        DashboardPort = head is null ? options.DashboardPort : null,
        LoggerFactory = options.LoggerFactory,
        TlsDirectory = options.TlsDirectory,
    };
}
