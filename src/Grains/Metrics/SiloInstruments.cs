using System.Diagnostics.Metrics;
using Granary.Runtime.Telemetry;

namespace Granary.Grains.Metrics;

/// <summary>
/// The observable instruments of Granary's meter, over every silo in this process
/// (<see cref="MetricsMonitor.Live"/>), each measurement tagged with its node. They are read only when a
/// listener collects (a Prometheus scrape, an OTLP export), so they cost nothing otherwise. Created once
/// per process. Thread-safe.
/// </summary>
internal static class SiloInstruments
{
    private const string DeviceTag = "device";
    private const string SimulatedTag = "simulated";
    private static int _created;

    public static void EnsureCreated()
    {
        if (Interlocked.Exchange(ref _created, 1) != 0)
        {
            return;
        }

        var meter = GranaryMeter.Meter;
        meter.CreateObservableGauge("granary.tasks.running", () => PerNode(m => m.Silo.TaskCounts().Running), "{task}", "Tasks running on the node's leases");
        meter.CreateObservableGauge("granary.tasks.queued", () => PerNode(m => m.Silo.TaskCounts().Queued), "{task}", "Tasks pushed to the node that have not started");
        meter.CreateObservableGauge("granary.leases", () => PerNode(m => m.Silo.LeaseCount), "{lease}", "Leases open on the node");
        meter.CreateObservableGauge("granary.object_store.memory", () => PerNode(m => m.Silo.Store.Bytes), "By", "Bytes of stored objects in memory");
        meter.CreateObservableGauge("granary.object_store.spilled", () => PerNode(m => m.Silo.Store.SpilledBytes), "By", "Bytes of stored objects spilled to disk");
        meter.CreateObservableGauge("granary.object_store.capacity", () => PerNode(m => m.Silo.Store.CapacityBytes), "By", "Bytes the store keeps in memory before it spills");
        meter.CreateObservableGauge("granary.object_store.objects", () => PerNode(m => m.Silo.Store.Count), "{object}", "Objects in the node's store");
        meter.CreateObservableCounter("granary.object_store.spills", () => PerNode(m => m.Silo.Store.Spills), "{object}", "Objects spilled to disk");
        meter.CreateObservableGauge("granary.cpu.utilization", () => Sampled(s => s.CpuPercent), "%", "Busy share of every core of the node's host");
        meter.CreateObservableGauge("granary.process.cpu.utilization", () => Sampled(s => s.ProcessCpuPercent), "%", "The silo process's CPU time as a share of every core");
        meter.CreateObservableGauge("granary.memory.used", () => Sampled(s => s.MemoryUsedBytes), "By", "Host memory in use");
        meter.CreateObservableGauge("granary.memory.total", () => Sampled(s => s.MemoryTotalBytes), "By", "Host memory");
        meter.CreateObservableGauge("granary.process.memory", () => Sampled(s => s.ProcessMemoryBytes), "By", "Resident memory of the silo process");
        meter.CreateObservableGauge("granary.gpu.utilization", () => PerGpu(g => g.UtilizationPercent), "%", "Busy share of the GPU (simulated devices: 100 while a task holding it runs)");
        meter.CreateObservableGauge("granary.gpu.memory.used", () => PerGpu(g => g.MemoryUsedBytes), "By", "GPU memory in use");
        meter.CreateObservableGauge("granary.gpu.memory.total", () => PerGpu(g => g.MemoryTotalBytes), "By", "GPU memory");
    }

    private static IEnumerable<Measurement<T>> PerNode<T>(Func<MetricsMonitor, T> read)
        where T : struct =>
        MetricsMonitor.Live.Select(m => new Measurement<T>(read(m), new KeyValuePair<string, object?>(GranaryMeter.NodeTag, m.Silo.NodeId)));

    // The host figures come from the last sample: CPU shares need the interval between two readings.
    private static IEnumerable<Measurement<T>> Sampled<T>(Func<Runtime.Wire.NodeSample, T> read)
        where T : struct =>
        MetricsMonitor.Live.Where(m => m.Latest is not null)
            .Select(m => new Measurement<T>(read(m.Latest!), new KeyValuePair<string, object?>(GranaryMeter.NodeTag, m.Silo.NodeId)));

    private static IEnumerable<Measurement<T>> PerGpu<T>(Func<Runtime.Wire.GpuSample, T> read)
        where T : struct =>
        MetricsMonitor.Live.Where(m => m.Latest is not null).SelectMany(m => m.Latest!.Gpus.Select(g => new Measurement<T>(
            read(g),
            new KeyValuePair<string, object?>(GranaryMeter.NodeTag, m.Silo.NodeId),
            new KeyValuePair<string, object?>(DeviceTag, g.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>(SimulatedTag, g.Simulated ? "true" : "false"))));
}
