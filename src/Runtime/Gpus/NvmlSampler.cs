// Reads each device's current use through NVML, as NvmlGpuDiscovery reads what devices there are: the
// library is resolved at run time and called through unmanaged function pointers, so a machine without
// the driver gets null from Open, never an exception.
using System.Runtime.InteropServices;

namespace Granary.Runtime.Gpus;

/// <summary>
/// An open NVML session with a handle per device, for sampling utilisation and memory once a second. Open
/// once per silo and dispose when it stops (that balances NVML's init). Not thread-safe: one monitor samples.
/// </summary>
internal sealed unsafe class NvmlSampler : IDisposable
{
    private const string LibraryName = "libnvidia-ml.so.1";

    private readonly nint _library;
    private readonly nint[] _handles;
    private readonly delegate* unmanaged<int> _shutdown;
    private readonly delegate* unmanaged<nint, NvmlUtilization*, int> _getUtilization;
    private readonly delegate* unmanaged<nint, NvmlMemory*, int> _getMemory;
    private readonly delegate* unmanaged<nint, uint*, NvmlProcessInfo*, int> _getProcesses;
    private int _disposed;

    private NvmlSampler(nint library, nint[] handles, delegate* unmanaged<int> shutdown, delegate* unmanaged<nint, NvmlUtilization*, int> getUtilization, delegate* unmanaged<nint, NvmlMemory*, int> getMemory)
    {
        _library = library;
        _handles = handles;
        _shutdown = shutdown;
        _getUtilization = getUtilization;
        _getMemory = getMemory;
        // Optional: the unversioned entry point takes the two-field record every NVML version keeps.
        _getProcesses = NativeLibrary.TryGetExport(library, "nvmlDeviceGetComputeRunningProcesses", out var processes)
            ? (delegate* unmanaged<nint, uint*, NvmlProcessInfo*, int>)processes
            : null;
    }

    /// <summary>True when this NVML can list the processes on a device and their memory.</summary>
    public bool HasProcessAccounting => _getProcesses != null;

    /// <summary>
    /// The device memory used by the processes <paramref name="counts"/> picks (by pid) on the device at
    /// <paramref name="position"/> (CUDA contexts and allocations); false when NVML cannot say.
    /// </summary>
    public bool TryProcessUse(int position, Func<int, bool> counts, out long usedBytes)
    {
        usedBytes = 0;
        if (_getProcesses == null || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        const int most = 256;
        var infos = stackalloc NvmlProcessInfo[most];
        var count = (uint)most;
        if (_getProcesses(_handles[position], &count, infos) != 0)
        {
            return false;
        }

        for (var i = 0; i < (int)Math.Min(count, most); i++)
        {
            // NVML reports unavailable figures (no privileges, some containers) as all bits set.
            if (infos[i].UsedGpuMemory != ulong.MaxValue && counts((int)infos[i].Pid))
            {
                usedBytes += (long)Math.Min(infos[i].UsedGpuMemory, long.MaxValue);
            }
        }

        return true;
    }

    /// <summary>A session over the devices with these indexes; null when NVML is missing or refuses (the caller then reports nothing for them).</summary>
    public static NvmlSampler? Open(IReadOnlyList<int> indexes)
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var library))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(library, "nvmlInit_v2", out var init)
            || !NativeLibrary.TryGetExport(library, "nvmlShutdown", out var shutdown)
            || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetHandleByIndex_v2", out var handleExport)
            || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetUtilizationRates", out var utilization)
            || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetMemoryInfo", out var memory)
            || ((delegate* unmanaged<int>)init)() != 0)
        {
            NativeLibrary.Free(library);
            return null;
        }

        var getHandle = (delegate* unmanaged<uint, nint*, int>)handleExport;
        var handles = new nint[indexes.Count];
        for (var i = 0; i < indexes.Count; i++)
        {
            nint handle;
            if (getHandle((uint)indexes[i], &handle) != 0)
            {
                ((delegate* unmanaged<int>)shutdown)();
                NativeLibrary.Free(library);
                return null;
            }

            handles[i] = handle;
        }

        return new NvmlSampler(library, handles, (delegate* unmanaged<int>)shutdown, (delegate* unmanaged<nint, NvmlUtilization*, int>)utilization, (delegate* unmanaged<nint, NvmlMemory*, int>)memory);
    }

    /// <summary>
    /// The GPU's busy share over NVML's last sample period (0-100) and its memory in use; false when NVML
    /// cannot say right now (a device fallen off the bus, a driver reload).
    /// </summary>
    public bool TrySample(int position, out double utilizationPercent, out long memoryUsedBytes, out long memoryTotalBytes)
    {
        utilizationPercent = 0;
        memoryUsedBytes = memoryTotalBytes = 0;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        NvmlUtilization rates;
        NvmlMemory memory;
        if (_getUtilization(_handles[position], &rates) != 0 || _getMemory(_handles[position], &memory) != 0)
        {
            return false;
        }

        utilizationPercent = rates.Gpu;
        memoryUsedBytes = (long)Math.Min(memory.Used, long.MaxValue);
        memoryTotalBytes = (long)Math.Min(memory.Total, long.MaxValue);
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown();
        NativeLibrary.Free(_library);
    }

    // nvmlUtilization_t: percentages over the driver's last sample period.
    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlUtilization
    {
        public uint Gpu;
        public uint Memory;
    }

    // nvmlProcessInfo_v1_t: what the unversioned nvmlDeviceGetComputeRunningProcesses fills.
    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlProcessInfo
    {
        public uint Pid;
        public ulong UsedGpuMemory;
    }

    // nvmlMemory_t (v1): byte counts, in this order.
    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }
}
