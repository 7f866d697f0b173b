// This is the real GPU path: it asks the NVIDIA driver, through NVML, which devices this node has.
// Silos without NVML (laptops, CI, containers without the driver) simulate devices from their flags
// instead; GpuInventory makes that choice. Entry points are resolved with NativeLibrary and called through
// unmanaged function pointers rather than DllImport, so a machine without libnvidia-ml gets `false` and a
// reason, never a DllNotFoundException or EntryPointNotFoundException.
using System.Runtime.InteropServices;
using System.Text;

namespace Granary.Runtime.Gpus;

/// <summary>Lists this node's NVIDIA GPUs through NVML (libnvidia-ml), without throwing when NVML is absent.</summary>
internal static unsafe class NvmlGpuDiscovery
{
    private const string LibraryName = "libnvidia-ml.so.1";

    // NVML_DEVICE_NAME_V2_BUFFER_SIZE: the largest name NVML writes, terminator included.
    private const int NameBufferSize = 96;

    // NVML_DEVICE_UUID_V2_BUFFER_SIZE: the largest UUID NVML writes, terminator included.
    private const int UuidBufferSize = 96;

    /// <summary>
    /// Reads every device's index, name, total memory and UUID. Returns false, with a reason naming the failed step
    /// (and NVML's return code), when the library is missing, an entry point is absent or any call fails.
    /// </summary>
    public static bool TryDiscover(out IReadOnlyList<GpuDevice> devices, out string reason)
    {
        devices = [];
        if (!NativeLibrary.TryLoad(LibraryName, out var library))
        {
            reason = $"{LibraryName} could not be loaded (no NVIDIA driver on this machine)";
            return false;
        }

        try
        {
            return TryDiscover(library, out devices, out reason);
        }
        finally
        {
            // dlopen counts references, so freeing here never unloads a copy someone else still uses.
            NativeLibrary.Free(library);
        }
    }

    private static bool TryDiscover(nint library, out IReadOnlyList<GpuDevice> devices, out string reason)
    {
        devices = [];
        if (!TryExport(library, "nvmlInit_v2", out var initExport, out reason)
            || !TryExport(library, "nvmlShutdown", out var shutdownExport, out reason)
            || !TryExport(library, "nvmlDeviceGetCount_v2", out var countExport, out reason)
            || !TryExport(library, "nvmlDeviceGetHandleByIndex_v2", out var handleExport, out reason)
            || !TryExport(library, "nvmlDeviceGetName", out var nameExport, out reason)
            || !TryExport(library, "nvmlDeviceGetMemoryInfo", out var memoryExport, out reason))
        {
            return false;
        }

        var init = (delegate* unmanaged<int>)initExport;
        var shutdown = (delegate* unmanaged<int>)shutdownExport;
        var getCount = (delegate* unmanaged<uint*, int>)countExport;
        var getHandle = (delegate* unmanaged<uint, nint*, int>)handleExport;
        var getName = (delegate* unmanaged<nint, byte*, uint, int>)nameExport;
        var getMemory = (delegate* unmanaged<nint, NvmlMemory*, int>)memoryExport;
        // Optional: only used to turn return codes into words, so its absence is not a failure.
        var errorString = NativeLibrary.TryGetExport(library, "nvmlErrorString", out var errorExport)
            ? (delegate* unmanaged<int, byte*>)errorExport
            : null;
        // Optional too: UUIDs matter only to a CUDA_VISIBLE_DEVICES that names GPUs by UUID, which then says
        // they are missing; a node must not lose its GPUs for want of them.
        var getUuid = NativeLibrary.TryGetExport(library, "nvmlDeviceGetUUID", out var uuidExport)
            ? (delegate* unmanaged<nint, byte*, uint, int>)uuidExport
            : null;

        var code = init();
        if (code != 0)
        {
            reason = Describe("nvmlInit_v2", code, errorString);
            return false;
        }

        try
        {
            uint count;
            code = getCount(&count);
            if (code != 0)
            {
                reason = Describe("nvmlDeviceGetCount_v2", code, errorString);
                return false;
            }

            var found = new List<GpuDevice>((int)count);
            byte* name = stackalloc byte[NameBufferSize];
            byte* uuid = stackalloc byte[UuidBufferSize];
            for (uint index = 0; index < count; index++)
            {
                nint handle;
                code = getHandle(index, &handle);
                if (code != 0)
                {
                    reason = Describe($"nvmlDeviceGetHandleByIndex_v2({index})", code, errorString);
                    return false;
                }

                code = getName(handle, name, NameBufferSize);
                if (code != 0)
                {
                    reason = Describe($"nvmlDeviceGetName({index})", code, errorString);
                    return false;
                }

                NvmlMemory memory;
                code = getMemory(handle, &memory);
                if (code != 0)
                {
                    reason = Describe($"nvmlDeviceGetMemoryInfo({index})", code, errorString);
                    return false;
                }

                var type = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name));
                var id = getUuid is not null && getUuid(handle, uuid, UuidBufferSize) == 0
                    ? Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(uuid))
                    : null;
                found.Add(new GpuDevice((int)index, type, (long)Math.Min(memory.Total, long.MaxValue), id));
            }

            devices = found;
            reason = "";
            return true;
        }
        finally
        {
            // Balances the successful nvmlInit_v2; a failing shutdown changes nothing we already read.
            shutdown();
        }
    }

    private static bool TryExport(nint library, string name, out nint address, out string reason)
    {
        if (NativeLibrary.TryGetExport(library, name, out address))
        {
            reason = "";
            return true;
        }

        reason = $"{LibraryName} has no export {name} (driver too old?)";
        return false;
    }

    private static string Describe(string call, int code, delegate* unmanaged<int, byte*> errorString)
    {
        var text = errorString is null ? null : Marshal.PtrToStringUTF8((nint)errorString(code));
        return text is null ? $"{call} returned {code}" : $"{call} returned {code} ({text})";
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
