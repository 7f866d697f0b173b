using Granary.Grains;
using Granary.Silo;
using Orleans;

namespace Granary.Client.Tests.UserHost;

/// <summary>
/// A head and three workers with different simulated GPUs, every silo hosting the user grains of
/// Granary.TestGrains: gpu-h100 (2 × H100, started first), gpu-a100 (1 × A100), worker-cpu (none). The
/// client's only gateway is the head, so the head's directors place every grain the client activates.
/// </summary>
public sealed class GrainPlacementCluster : IAsyncLifetime
{
    private readonly List<SiloHost> _silos = [];

    public IReadOnlyList<SiloHost> Silos => _silos;

    public GranaryClient Client { get; private set; } = null!;

    public IGrainFactory Grains => Client.ClusterClient;

    public async Task InitializeAsync()
    {
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, NodeId = "head" }).WithTimeout());
        var head = _silos[0].Address;
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = head, Cpus = 2, Gpus = 2, GpuType = "H100", GpuMemoryBytes = 80L << 30, NodeId = "gpu-h100" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = head, Cpus = 2, Gpus = 1, GpuType = "NVIDIA A100-SXM4-40GB", GpuMemoryBytes = 40L << 30, NodeId = "gpu-a100" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = head, Cpus = 2, NodeId = "worker-cpu", Resources = new Dictionary<string, double> { ["disk"] = 3 } }).WithTimeout());
        Client = await GranaryClient.ConnectAsync(head).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync().WithTimeout();
        for (var i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].DisposeAsync().WithTimeout();
        }
    }
}
