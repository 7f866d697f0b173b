using System.Collections.Concurrent;
using Granary.Runtime.Gpus;
using Granary.Runtime.Wire;

namespace Granary.Grains.Metrics;

/// <summary>
/// Samples one silo's resource use for its heartbeats: host and process CPU and memory
/// (<see cref="HostProbe"/>), each GPU (NVML on real devices; on simulated ones, what its tasks report using,
/// else what Granary put there),
/// leases and spills. The head keeps each node's latest sample, which clients stream
/// (<c>GranaryClient.MonitorAsync</c>) and `granary status` shows. Every monitor in the process also feeds
/// the observable instruments of Granary's meter (<see cref="SiloInstruments"/>). Thread-safe; one caller
/// samples at a time (the heartbeat loop).
/// </summary>
internal sealed class MetricsMonitor : IDisposable
{
    private static readonly ConcurrentDictionary<MetricsMonitor, byte> _live = new();

    private readonly HostProbe _host = new();
    private readonly NvmlSampler? _nvml;
    private NodeSample? _latest;

    public MetricsMonitor(SiloRuntime silo)
    {
        Silo = silo;
        if (!silo.Gpus.Simulated && silo.Gpus.Devices.Count > 0)
        {
            _nvml = NvmlSampler.Open([.. silo.Gpus.Devices.Select(d => d.Index)]);
        }

        SiloInstruments.EnsureCreated();
        _live.TryAdd(this, 0);
    }

    /// <summary>The monitors of the silos running in this process (an embedded cluster has several).</summary>
    public static IEnumerable<MetricsMonitor> Live => _live.Keys;

    public SiloRuntime Silo { get; }

    /// <summary>The last sample taken; null before the first.</summary>
    public NodeSample? Latest => Volatile.Read(ref _latest);

    public NodeSample Sample()
    {
        var host = _host.Read();
        var sample = new NodeSample
        {
            SampledAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            CpuPercent = host.CpuPercent,
            ProcessCpuPercent = host.ProcessCpuPercent,
            MemoryUsedBytes = host.MemoryUsedBytes,
            MemoryTotalBytes = host.MemoryTotalBytes,
            ProcessMemoryBytes = host.ProcessMemoryBytes,
            Leases = Silo.LeaseCount,
            Spills = Silo.Store.Spills,
        };
        AddGpus(sample);
        Volatile.Write(ref _latest, sample);
        return sample;
    }

    private void AddGpus(NodeSample sample)
    {
        var devices = Silo.Gpus.Devices;
        if (devices.Count == 0)
        {
            return;
        }

        if (!Silo.Gpus.Simulated)
        {
            for (var i = 0; i < devices.Count; i++)
            {
                var gpu = new GpuSample { Index = devices[i].Index, MemoryTotalBytes = devices[i].MemoryBytes };
                if (_nvml is not null && _nvml.TrySample(i, out var utilization, out var used, out var total))
                {
                    gpu.UtilizationPercent = utilization;
                    gpu.MemoryUsedBytes = used;
                    gpu.MemoryTotalBytes = total;
                }

                sample.Gpus.Add(gpu);
            }

            return;
        }

        // A simulated device has no counters, so its figures come from what Granary placed on it.
        var held = new HashSet<int>();
        var busy = new HashSet<int>();
        foreach (var lease in Silo.LeaseWorkers)
        {
            held.UnionWith(lease.GpuIds);
            if (lease.Running)
            {
                busy.UnionWith(lease.GpuIds);
            }
        }

        foreach (var actor in Silo.Actors)
        {
            held.UnionWith(actor.GpuIds);
        }

        foreach (var device in devices)
        {
            sample.Gpus.Add(new GpuSample
            {
                Index = device.Index,
                UtilizationPercent = busy.Contains(device.Index) ? 100 : 0,
                // What its tasks report using, when they report (packing by memory); else all of it while held.
                MemoryUsedBytes = Silo.SimulatedGpus.Used(device.Index) ?? (held.Contains(device.Index) && !HeldByMemory(device.Index) ? device.MemoryBytes : 0),
                MemoryTotalBytes = device.MemoryBytes,
                Simulated = true,
            });
        }
    }

    /// <summary>True when the leases on the device pack by memory: it is shared, so holding it says nothing of its use.</summary>
    private bool HeldByMemory(int device) => Silo.LeaseWorkers.Any(l => l.GpuMemory is not null && l.GpuIds.Contains(device));

    public void Dispose()
    {
        _live.TryRemove(this, out _);
        _nvml?.Dispose();
    }
}
