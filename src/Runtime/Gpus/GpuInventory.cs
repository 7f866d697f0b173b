namespace Granary.Runtime.Gpus;

/// <summary>
/// Decides which GPUs a silo offers: the real devices NVML reports, or, where NVML is unavailable (laptops, CI),
/// devices simulated from the silo's flags so GPU scheduling can be exercised without hardware.
/// </summary>
internal sealed class GpuInventory
{
    public const string DefaultSimulatedType = "SimulatedGPU";
    public const long DefaultSimulatedMemoryBytes = 16L * 1024 * 1024 * 1024;

    private GpuInventory(IReadOnlyList<GpuDevice> devices, bool simulated, string source)
    {
        Devices = devices;
        Simulated = simulated;
        Source = source;
    }

    public IReadOnlyList<GpuDevice> Devices { get; }

    /// <summary>True when the devices are made up from flags rather than found by NVML.</summary>
    public bool Simulated { get; }

    /// <summary>One sentence for the silo's startup log saying where the devices came from.</summary>
    public string Source { get; }

    /// <summary>
    /// Uses NVML's devices when it finds any (only the first <paramref name="requestedCount"/> when that is
    /// smaller; more than found throws <see cref="ArgumentException"/>). Otherwise simulates
    /// <paramref name="requestedCount"/> devices, or offers none when no count was asked for.
    /// The simulation flags are ignored when real devices exist.
    /// </summary>
    public static GpuInventory Detect(int? requestedCount, string? simulatedType, long? simulatedMemoryBytes)
    {
        var found = NvmlGpuDiscovery.TryDiscover(out var devices, out var reason);
        return Decide(found, devices, reason, requestedCount, simulatedType, simulatedMemoryBytes);
    }

    // The decision without the NVML call, so tests can cover GPU nodes on machines that have none.
    internal static GpuInventory Decide(
        bool nvmlFound,
        IReadOnlyList<GpuDevice> nvmlDevices,
        string nvmlReason,
        int? requestedCount,
        string? simulatedType,
        long? simulatedMemoryBytes)
    {
        if (requestedCount is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requestedCount), requestedCount, "The GPU count must be 0 or more.");
        }

        if (simulatedMemoryBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(simulatedMemoryBytes), simulatedMemoryBytes, "Simulated GPU memory must be more than 0 bytes.");
        }

        if (nvmlFound && nvmlDevices.Count > 0)
        {
            return FromNvml(nvmlDevices, requestedCount);
        }

        // NVML working but listing no devices (driver libraries in a container without GPUs) counts as unavailable.
        var why = nvmlFound ? "NVML found no devices" : $"NVML unavailable: {nvmlReason}";
        if (requestedCount is not > 0)
        {
            return new GpuInventory([], simulated: false, $"no GPUs ({why})");
        }

        var type = string.IsNullOrWhiteSpace(simulatedType) ? DefaultSimulatedType : simulatedType.Trim();
        var memory = simulatedMemoryBytes ?? DefaultSimulatedMemoryBytes;
        var simulated = Enumerable.Range(0, requestedCount.Value).Select(index => new GpuDevice(index, type, memory)).ToArray();
        return new GpuInventory(simulated, simulated: true, $"simulated: {simulated.Length} x {type}, {FormatBytes(memory)} each ({why})");
    }

    private static GpuInventory FromNvml(IReadOnlyList<GpuDevice> found, int? requestedCount)
    {
        if (requestedCount > found.Count)
        {
            throw new ArgumentException(
                $"{requestedCount} GPUs were requested but NVML found only {found.Count} on this node ({Summarize(found)}); " +
                $"ask for {found.Count} or fewer, or leave the count out to use them all.",
                nameof(requestedCount));
        }

        if (requestedCount is not { } count || count == found.Count)
        {
            return new GpuInventory(found, simulated: false, $"NVML: {Summarize(found)}");
        }

        if (count == 0)
        {
            return new GpuInventory([], simulated: false, $"no GPUs (0 requested; NVML found {Summarize(found)})");
        }

        var used = found.Take(count).ToArray();
        return new GpuInventory(used, simulated: false, $"NVML: {Summarize(used)} (the first {count} of {found.Count} found, as requested)");
    }

    // "8 x NVIDIA H100 80GB HBM3", or "2 x NVIDIA A100, 1 x Tesla T4" on a node with mixed models.
    private static string Summarize(IEnumerable<GpuDevice> devices) =>
        string.Join(", ", devices.GroupBy(device => device.Type).Select(group => $"{group.Count()} x {group.Key}"));

    private static string FormatBytes(long bytes)
    {
        const long gib = 1024L * 1024 * 1024;
        const long mib = 1024L * 1024;
        return bytes % gib == 0 ? $"{bytes / gib} GiB"
            : bytes % mib == 0 ? $"{bytes / mib} MiB"
            : $"{bytes} bytes";
    }
}
