namespace Granary.Runtime.Gpus;

/// <summary>
/// Decides which GPUs a silo offers: the real devices NVML reports, or, where NVML is unavailable (laptops, CI),
/// devices simulated from the silo's flags so GPU scheduling can be exercised without hardware; in either case
/// only those the silo's CUDA_VISIBLE_DEVICES lists, when it is set. Immutable, so thread-safe.
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
    /// The simulation flags are ignored when real devices exist. <paramref name="visibleDevices"/>, the
    /// silo's CUDA_VISIBLE_DEVICES (null when unset), restricts the devices first; see <see cref="Decide"/>.
    /// </summary>
    public static GpuInventory Detect(int? requestedCount, string? simulatedType, long? simulatedMemoryBytes, string? visibleDevices)
    {
        var found = NvmlGpuDiscovery.TryDiscover(out var devices, out var reason);
        return Decide(found, devices, reason, requestedCount, simulatedType, simulatedMemoryBytes, visibleDevices);
    }

    /// <summary>
    /// The decision without the NVML call, so tests can cover GPU nodes on machines that have none.
    /// With <paramref name="visibleDevices"/> set (see <see cref="CudaVisibleDevices"/>): on real devices it
    /// keeps only those it lists, in its order, and <paramref name="requestedCount"/> then counts within them;
    /// on simulated ones <paramref name="requestedCount"/> makes devices 0..N-1 first, and the value picks
    /// among those (an index of N or more is an error, as a missing real device is; UUIDs are
    /// GPU-simulated-INDEX). An empty value offers no GPUs. With no devices at all (no NVML and no count)
    /// there is nothing to restrict, and the value is only noted in <see cref="Source"/>: a shell that
    /// exports CUDA_VISIBLE_DEVICES must not stop a CPU-only silo from starting.
    /// Every device keeps its own index, which is what a task's CUDA_VISIBLE_DEVICES must hold.
    /// </summary>
    internal static GpuInventory Decide(
        bool nvmlFound,
        IReadOnlyList<GpuDevice> nvmlDevices,
        string nvmlReason,
        int? requestedCount,
        string? simulatedType,
        long? simulatedMemoryBytes,
        string? visibleDevices)
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
            return FromNvml(nvmlDevices, requestedCount, visibleDevices);
        }

        // NVML working but listing no devices (driver libraries in a container without GPUs) counts as unavailable.
        var why = nvmlFound ? "NVML found no devices" : $"NVML unavailable: {nvmlReason}";
        if (requestedCount is not > 0)
        {
            var ignored = visibleDevices is null ? "" : $"; {CudaVisibleDevices.Variable}='{visibleDevices}' has no devices to pick from";
            return new GpuInventory([], simulated: false, $"no GPUs ({why}{ignored})");
        }

        var type = string.IsNullOrWhiteSpace(simulatedType) ? DefaultSimulatedType : simulatedType.Trim();
        var memory = simulatedMemoryBytes ?? DefaultSimulatedMemoryBytes;
        var all = Enumerable.Range(0, requestedCount.Value)
            .Select(index => new GpuDevice(index, type, memory, SimulatedUuid(index)))
            .ToArray();
        if (visibleDevices is null)
        {
            return new GpuInventory(all, simulated: true, $"simulated: {all.Length} x {type}, {FormatBytes(memory)} each ({why})");
        }

        var visible = CudaVisibleDevices.Select(visibleDevices, all, $"simulated by --gpus {all.Length}");
        if (visible.Count == 0)
        {
            return new GpuInventory([], simulated: false, $"no GPUs ({CudaVisibleDevices.Variable} is empty; {all.Length} would be simulated; {why})");
        }

        return new GpuInventory(
            visible,
            simulated: true,
            $"simulated: {visible.Count} x {type}, {FormatBytes(memory)} each ({Restriction(visible, all.Length)}; {why})");
    }

    /// <summary>
    /// The device indexes of the GPU slots the head handed out. The head numbers a node's GPUs 0..count-1 in
    /// the order <see cref="Devices"/> lists them; the slot becomes a device here, on the node, so what a
    /// task sees (<c>TaskContext.GpuIds</c>, its worker's CUDA_VISIBLE_DEVICES) is the physical device: slot 0
    /// of a node restricted to CUDA_VISIBLE_DEVICES=2,3 is device 2. Without a restriction the two are equal.
    /// </summary>
    public int[] DeviceIndexes(IReadOnlyList<int> slots)
    {
        var indexes = new int[slots.Count];
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i] < 0 || slots[i] >= Devices.Count)
            {
                throw new InvalidOperationException($"GPU slot {slots[i]} was granted, but this node offers {Devices.Count} GPUs (slots 0 to {Devices.Count - 1}).");
            }

            indexes[i] = Devices[slots[i]].Index;
        }

        return indexes;
    }

    private static GpuInventory FromNvml(IReadOnlyList<GpuDevice> found, int? requestedCount, string? visibleDevices)
    {
        var visible = visibleDevices is null ? found : CudaVisibleDevices.Select(visibleDevices, found, "found by NVML");
        var within = visibleDevices is null ? "" : $" of the {visible.Count} {CudaVisibleDevices.Variable} lists";
        if (requestedCount > visible.Count)
        {
            var have = visibleDevices is null
                ? $"NVML found only {found.Count} on this node ({Summarize(found)})"
                : $"{CudaVisibleDevices.Variable}='{visibleDevices}' lists only {visible.Count} of the {found.Count} NVML found on this node ({Summarize(found)})";
            throw new ArgumentException(
                $"{requestedCount} GPUs were requested but {have}; ask for {visible.Count} or fewer, or leave the count out to use them all.",
                nameof(requestedCount));
        }

        if (visible.Count == 0)
        {
            return new GpuInventory([], simulated: false, $"no GPUs ({CudaVisibleDevices.Variable} is empty; NVML found {Summarize(found)})");
        }

        if (requestedCount is not { } count || count == visible.Count)
        {
            var source = visibleDevices is null ? $"NVML: {Summarize(found)}" : $"NVML: {Summarize(visible)} ({Restriction(visible, found.Count)})";
            return new GpuInventory(visible, simulated: false, source);
        }

        if (count == 0)
        {
            return new GpuInventory([], simulated: false, $"no GPUs (0 requested; NVML found {Summarize(found)})");
        }

        var used = visible.Take(count).ToArray();
        var taken = visibleDevices is null
            ? $"the first {count} of {found.Count} found, as requested"
            : $"{DeviceList(used)} of {found.Count}: the first {count}{within}, as requested";
        return new GpuInventory(used, simulated: false, $"NVML: {Summarize(used)} ({taken})");
    }

    // Stable, so CUDA_VISIBLE_DEVICES may name simulated devices by UUID as it would real ones.
    private static string SimulatedUuid(int index) => $"GPU-simulated-{index}";

    // "devices 0,1 of 8, from CUDA_VISIBLE_DEVICES": the startup log says the restriction.
    private static string Restriction(IReadOnlyList<GpuDevice> visible, int total) =>
        $"{DeviceList(visible)} of {total}, from {CudaVisibleDevices.Variable}";

    private static string DeviceList(IReadOnlyList<GpuDevice> devices) =>
        (devices.Count == 1 ? "device " : "devices ") + string.Join(',', devices.Select(d => d.Index));

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
