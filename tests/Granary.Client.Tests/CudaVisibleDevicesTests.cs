using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>
/// A worker silo restricted as `CUDA_VISIBLE_DEVICES=2,5 granary start --gpus 8` restricts one, the value
/// carried by <see cref="GranarySiloOptions.CudaVisibleDevices"/> so this process's environment stays as it
/// is: the node offers two GPUs, and work given its first one sees device 2, in a worker process's
/// CUDA_VISIBLE_DEVICES as in <c>TaskContext.GpuIds</c>. Each test starts its own idle cluster, so a
/// whole-GPU request gets the lowest slot.
/// </summary>
public sealed class CudaVisibleDevicesTests : IAsyncLifetime
{
    private readonly List<SiloHost> _silos = [];
    private GranaryClient _client = null!;

    public async Task InitializeAsync()
    {
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, Gpus = 0, CudaVisibleDevices = null, NodeId = "head" }).WithTimeout());
        _silos.Add(await SiloHost.StartAsync(new GranarySiloOptions
        {
            HeadAddress = _silos[0].Address,
            Cpus = 2,
            Gpus = 8,
            GpuType = "H100",
            CudaVisibleDevices = "2,5",
            PrestartedWorkers = 0,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            NodeId = "gpu",
        }).WithTimeout());
        _client = await GranaryClient.ConnectAsync(_silos[0].Address).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync().WithTimeout();
        for (var i = _silos.Count - 1; i >= 0; i--)
        {
            await _silos[i].DisposeAsync().WithTimeout();
        }
    }

    [Fact]
    public async Task The_silo_offers_only_the_listed_devices_under_their_own_indexes()
    {
        var node = Assert.Single(await _client.GetNodesAsync().WithTimeout(), n => n.NodeId == "gpu");
        Assert.Equal(2, node.Total["GPU"]);

        var sample = await SampleAsync(s => s.Gpus.Count > 0, "the gpu node's sample lists its devices");
        Assert.Equal([2, 5], sample.Gpus.Select(g => g.Index));
    }

    [Fact]
    public async Task A_process_task_given_the_first_gpu_sees_its_physical_index()
    {
        var one = await _client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { Gpus = 1, Isolation = Isolation.Process, MaxRetries = 0 }).WithTimeout();
        Assert.NotEqual(Environment.ProcessId, one.Pid);
        Assert.Equal("2", one.CudaVisibleDevices);
        Assert.Equal("2", one.GpuIds);

        var both = await _client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { Gpus = 2, MaxRetries = 0 }).WithTimeout();
        Assert.Equal("2,5", both.CudaVisibleDevices);
        Assert.Equal("2,5", both.GpuIds);
    }

    [Fact]
    public async Task An_actor_in_the_silo_reads_its_physical_device_and_the_monitor_shows_it_held()
    {
        var actor = await _client.CreateActorAsync(() => new GpuHolder(), new ActorOptions { Gpus = 1 }).WithTimeout();
        var atStart = await actor.Call(a => a.GpusAtStart()).WithTimeout();
        var inACall = await actor.Call(a => a.Gpus()).WithTimeout();
        Assert.Equal([2], atStart);
        Assert.Equal([2], inACall);

        // The simulated figures come from what the node placed on each device: device 2 held, device 5 free.
        var sample = await SampleAsync(s => s.Gpus.Any(g => g.MemoryUsedBytes > 0), "the actor's device shows as held");
        Assert.Equal([2], sample.Gpus.Where(g => g.MemoryUsedBytes > 0).Select(g => g.Index));
    }

    private async Task<NodeMetrics> SampleAsync(Func<NodeMetrics, bool> wanted, string because)
    {
        using var stop = new CancellationTokenSource(Bounded.Default);
        NodeMetrics? last = null;
        await foreach (var sample in _client.MonitorAsync(TimeSpan.FromMilliseconds(200), stop.Token))
        {
            if (sample.NodeId == "gpu" && wanted(last = sample))
            {
                return sample;
            }
        }

        throw new TimeoutException($"Not seen within {Bounded.Default.TotalSeconds:0} s: {because} (last sample: {last})");
    }
}
