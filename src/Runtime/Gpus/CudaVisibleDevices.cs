using System.Globalization;

namespace Granary.Runtime.Gpus;

/// <summary>
/// Reads a silo's CUDA_VISIBLE_DEVICES as CUDA would, against the devices the node has, so the silo manages
/// the GPUs its environment hands it (as GLB and Ray's raylet do). Entries are device indexes ("0,2") or
/// GPU UUIDs ("GPU-5e1b0c1a-..."), where a unique prefix of a UUID is enough, as CUDA accepts. Unlike CUDA,
/// which silently stops at the first entry it cannot use, a bad entry is an error: a silo that quietly
/// managed fewer GPUs than its operator listed would be found out only when work waits forever.
/// Thread-safe (stateless).
/// </summary>
internal static class CudaVisibleDevices
{
    public const string Variable = "CUDA_VISIBLE_DEVICES";

    /// <summary>
    /// The devices <paramref name="value"/> names, in its order, each keeping its own index. An empty value
    /// names none (CUDA hides every GPU then). Throws <see cref="ArgumentException"/>, naming the variable,
    /// the bad entry and the devices that exist, for an entry that names no device, names one ambiguously,
    /// or names one again. <paramref name="origin"/> says where <paramref name="devices"/> came from, for that message.
    /// </summary>
    public static IReadOnlyList<GpuDevice> Select(string value, IReadOnlyList<GpuDevice> devices, string origin)
    {
        // "0,1," and " 0, 1" mean what they look like; CUDA itself trims too.
        var entries = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var chosen = new List<GpuDevice>(entries.Length);
        foreach (var entry in entries)
        {
            var device = Resolve(entry, value, devices, origin);
            if (chosen.Contains(device))
            {
                throw Refuse(value, $"'{entry}' names device {device.Index} again; list each GPU once", devices, origin);
            }

            chosen.Add(device);
        }

        return chosen;
    }

    private static GpuDevice Resolve(string entry, string value, IReadOnlyList<GpuDevice> devices, string origin)
    {
        if (entry.All(char.IsAsciiDigit))
        {
            var index = int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
            return devices.FirstOrDefault(d => d.Index == index)
                ?? throw Refuse(value, $"'{entry}' names no GPU on this node", devices, origin);
        }

        if (entry.StartsWith("MIG-", StringComparison.OrdinalIgnoreCase))
        {
            throw Refuse(value, $"'{entry}' is a MIG instance, which Granary does not schedule; list whole GPUs", devices, origin);
        }

        if (!entry.StartsWith("GPU-", StringComparison.OrdinalIgnoreCase))
        {
            throw Refuse(value, $"'{entry}' is neither a device index nor a GPU UUID (GPU-...)", devices, origin);
        }

        if (devices.Any(d => d.Uuid is null))
        {
            throw Refuse(value, $"'{entry}' is a GPU UUID, but NVML did not report this node's UUIDs; list device indexes instead", devices, origin);
        }

        // A whole UUID wins over being the prefix of another (GPU-simulated-1 beside GPU-simulated-10).
        var exact = devices.FirstOrDefault(d => string.Equals(d.Uuid, entry, StringComparison.OrdinalIgnoreCase));
        if (exact is not null)
        {
            return exact;
        }

        var matches = devices.Where(d => d.Uuid!.StartsWith(entry, StringComparison.OrdinalIgnoreCase)).ToArray();
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw Refuse(value, $"'{entry}' names no GPU on this node", devices, origin),
            _ => throw Refuse(value, $"'{entry}' is the start of {matches.Length} GPUs' UUIDs (devices {string.Join(',', matches.Select(d => d.Index))}); give more of it", devices, origin),
        };
    }

    private static ArgumentException Refuse(string value, string problem, IReadOnlyList<GpuDevice> devices, string origin) =>
        new($"{Variable}='{value}': {problem}. This node's GPUs ({origin}) are {Describe(devices)}. " +
            $"List some of those, by index or UUID, or unset {Variable} to manage them all.");

    // "0 (GPU-5e1b...), 1 (GPU-8c2d...)": both ways an entry may name a device.
    private static string Describe(IReadOnlyList<GpuDevice> devices) =>
        string.Join(", ", devices.Select(d => d.Uuid is null ? d.Index.ToString(CultureInfo.InvariantCulture) : $"{d.Index} ({d.Uuid})"));
}
