namespace Granary.Runtime.Gpus;

/// <summary>
/// Hands out a silo's GPU device ids to tasks and actors. Whole requests (1, 2, ...) take that many fully free
/// devices; fractional requests (0 &lt; amount &lt; 1) take a share of one device, packing onto the most-used
/// device that still fits so whole devices stay free for whole requests.
/// Not thread-safe: the caller holds a lock around every call, as it does for its other resource books.
/// </summary>
internal sealed class GpuAllocator
{
    // Free capacity is kept in integer units of 1e-4 of a device: amounts are rounded to 1e-4 (as ResourceSet
    // does), and integers cannot drift, so ten 0.1 shares fill a device exactly and release back to exactly 1.
    private const int UnitsPerDevice = 10_000;

    private readonly int[] _freeUnits;
    private readonly long[] _memoryBytes;
    private readonly long[] _measuredUsedBytes;

    public GpuAllocator(int deviceCount)
        : this(deviceCount, memoryBytes: null)
    {
    }

    /// <param name="memoryBytes">Each device's memory, for packing by bytes (<see cref="TryAllocateBytes"/>); null when unknown.</param>
    public GpuAllocator(int deviceCount, IReadOnlyList<long>? memoryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceCount);
        _freeUnits = new int[deviceCount];
        Array.Fill(_freeUnits, UnitsPerDevice);
        _memoryBytes = new long[deviceCount];
        _measuredUsedBytes = new long[deviceCount];
        for (var id = 0; id < deviceCount; id++)
        {
            _memoryBytes[id] = memoryBytes is not null && id < memoryBytes.Count ? memoryBytes[id] : 0;
        }
    }

    /// <summary>Device <paramref name="deviceId"/>'s memory in bytes; 0 when unknown.</summary>
    public long MemoryOf(int deviceId) => _memoryBytes[deviceId];

    /// <summary>The share of device <paramref name="deviceId"/> taken, in devices (0.25 = a quarter).</summary>
    public double TakenOn(int deviceId) => (UnitsPerDevice - _freeUnits[deviceId]) / (double)UnitsPerDevice;

    /// <summary>
    /// What the device's own counters say is in use (NVML, from the node's heartbeats), which may be more
    /// than Granary reserved there (another process, a task that outgrew its profile). Packing by bytes
    /// never counts on memory that is in use, whoever reserved it.
    /// </summary>
    public void SetMeasuredUse(int deviceId, long usedBytes)
    {
        if (deviceId >= 0 && deviceId < _measuredUsedBytes.Length)
        {
            _measuredUsedBytes[deviceId] = Math.Max(0, usedBytes);
        }
    }

    /// <summary>
    /// The device that <paramref name="bytes"/> of memory would fill best (the least room left after it,
    /// lowest index on ties: packing keeps other devices free), with the room it would leave in bytes; null
    /// when none has room. A device's room is its memory not reserved, less what its counters show in use beyond
    /// the reservations.
    /// </summary>
    /// <param name="clampToDevice">Ask at most a whole device: a profile whose margin takes it past a device's memory still fits that device alone.</param>
    public (int Device, long LeftBytes)? BestFitBytes(long bytes, bool clampToDevice = false)
    {
        (int Device, long LeftBytes)? best = null;
        for (var id = 0; id < _freeUnits.Length; id++)
        {
            var need = clampToDevice ? Math.Min(bytes, _memoryBytes[id]) : bytes;
            var room = RoomBytes(id);
            if (_memoryBytes[id] <= 0 || _freeUnits[id] < UnitsFor(id, need) || room < need)
            {
                continue;
            }

            var left = room - need;
            if (best is null || left < best.Value.LeftBytes)
            {
                best = (id, left);
            }
        }

        return best;
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> of device <paramref name="deviceId"/>'s memory (as a share of the device,
    /// so fractional and whole requests see it taken); returns the share in devices, which
    /// <see cref="Release"/> takes back, or null when it does not fit there.
    /// </summary>
    public double? TryAllocateBytes(int deviceId, long bytes, bool clampToDevice = false)
    {
        if (clampToDevice)
        {
            bytes = Math.Min(bytes, _memoryBytes[deviceId]);
        }

        var units = UnitsFor(deviceId, bytes);
        if (_freeUnits[deviceId] < units || RoomBytes(deviceId) < bytes)
        {
            return null;
        }

        _freeUnits[deviceId] -= units;
        return units / (double)UnitsPerDevice;
    }

    /// <summary>True when some device has at least <paramref name="bytes"/> of memory in all.</summary>
    public bool CanEverFitBytes(long bytes) => _memoryBytes.Any(memory => memory >= bytes);

    /// <summary>The largest device's memory; 0 with none.</summary>
    public long LargestMemory => _memoryBytes.Length == 0 ? 0 : _memoryBytes.Max();

    /// <summary>True when device <paramref name="deviceId"/> has nothing reserved on it.</summary>
    public bool IsFree(int deviceId) => _freeUnits[deviceId] == UnitsPerDevice;

    private long RoomBytes(int deviceId)
    {
        var memory = _memoryBytes[deviceId];
        var reserved = (long)Math.Ceiling((UnitsPerDevice - _freeUnits[deviceId]) / (double)UnitsPerDevice * memory);
        return memory - Math.Max(reserved, _measuredUsedBytes[deviceId]);
    }

    // Rounded up, and at least one unit, so a reservation by bytes always shows as taken.
    private int UnitsFor(int deviceId, long bytes)
    {
        var memory = _memoryBytes[deviceId];
        if (memory <= 0)
        {
            return UnitsPerDevice + 1;
        }

        return (int)Math.Clamp(Math.Ceiling(bytes * (double)UnitsPerDevice / memory), 1, UnitsPerDevice);
    }

    public int DeviceCount => _freeUnits.Length;

    /// <summary>Free capacity across all devices, in devices (3.5 = three whole devices and a half).</summary>
    public double FreeTotal => _freeUnits.Sum(units => (long)units) / (double)UnitsPerDevice;

    /// <summary>The free fraction of one device (1.0 = whole device free).</summary>
    public double FreeOn(int deviceId) => _freeUnits[deviceId] / (double)UnitsPerDevice;

    /// <summary>
    /// Takes <paramref name="amount"/> GPUs and returns the device ids, or null when they are not free now.
    /// 0 returns no ids. Throws <see cref="ArgumentException"/> for negative amounts or non-whole amounts above 1.
    /// </summary>
    public int[]? TryAllocate(double amount)
    {
        var units = ToUnits(amount);
        if (units == 0)
        {
            return [];
        }

        if (units >= UnitsPerDevice)
        {
            return TryAllocateWhole(units / UnitsPerDevice);
        }

        // Best fit: the device with the least free capacity that still holds the share, lowest index on ties.
        var best = -1;
        for (var id = 0; id < _freeUnits.Length; id++)
        {
            if (_freeUnits[id] >= units && (best < 0 || _freeUnits[id] < _freeUnits[best]))
            {
                best = id;
            }
        }

        if (best < 0)
        {
            return null;
        }

        _freeUnits[best] -= units;
        return [best];
    }

    /// <summary>Gives back what <see cref="TryAllocate"/> returned for the same <paramref name="amount"/>.</summary>
    public void Release(int[] ids, double amount)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var units = ToUnits(amount);
        var perDevice = units >= UnitsPerDevice ? UnitsPerDevice : units;
        var expected = units == 0 ? 0 : units >= UnitsPerDevice ? units / UnitsPerDevice : 1;
        if (ids.Length != expected)
        {
            throw new ArgumentException($"Releasing {amount} GPU(s) expects {expected} device id(s), got {ids.Length}.", nameof(ids));
        }

        // Check everything before changing anything, so a bad release leaves the books as they were.
        foreach (var id in ids)
        {
            if (id < 0 || id >= _freeUnits.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"GPU id {id} is not a device of this silo (it has {_freeUnits.Length}).");
            }

            if (_freeUnits[id] + perDevice > UnitsPerDevice)
            {
                throw new InvalidOperationException($"Releasing {amount} GPU(s) on device {id} would free more than was taken; the caller's bookkeeping is off.");
            }
        }

        foreach (var id in ids)
        {
            _freeUnits[id] += perDevice;
        }
    }

    /// <summary>
    /// Takes the given devices' share back out after a head restart restores a reservation made before it.
    /// Shares that no longer fit are clamped to what is free, so a restore never throws.
    /// </summary>
    public void Take(int[] ids, double amount)
    {
        var units = ToUnits(amount);
        var perDevice = units >= UnitsPerDevice ? UnitsPerDevice : units;
        foreach (var id in ids)
        {
            if (id >= 0 && id < _freeUnits.Length)
            {
                _freeUnits[id] = Math.Max(0, _freeUnits[id] - perDevice);
            }
        }
    }

    /// <summary>
    /// True when the request could fit on an idle silo: whole amounts up to the device count, fractions up to 1.
    /// Amounts that <see cref="TryAllocate"/> rejects (negative, or above 1 and not whole) can never fit.
    /// </summary>
    public bool CanEverFit(double amount)
    {
        if (!double.IsFinite(amount) || amount < 0)
        {
            return false;
        }

        var units = (long)Math.Round(amount * UnitsPerDevice);
        if (units == 0)
        {
            return true;
        }

        return units < UnitsPerDevice
            ? _freeUnits.Length > 0
            : units % UnitsPerDevice == 0 && units / UnitsPerDevice <= _freeUnits.Length;
    }

    private int[]? TryAllocateWhole(int count)
    {
        var ids = new int[count];
        var found = 0;
        for (var id = 0; id < _freeUnits.Length && found < count; id++)
        {
            if (_freeUnits[id] == UnitsPerDevice)
            {
                ids[found++] = id;
            }
        }

        if (found < count)
        {
            return null;
        }

        foreach (var id in ids)
        {
            _freeUnits[id] = 0;
        }

        return ids;
    }

    private int ToUnits(double amount)
    {
        if (!double.IsFinite(amount) || amount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "A GPU request must be 0 or more.");
        }

        var units = Math.Round(amount * UnitsPerDevice);
        if (units > UnitsPerDevice && units % UnitsPerDevice != 0)
        {
            throw new ArgumentException(
                $"A request for {amount} GPUs is not a whole number of devices. Ask for a whole number ({Math.Ceiling(amount)}) " +
                "to get whole devices, or for a fraction below 1 (such as 0.5) to share one device.",
                nameof(amount));
        }

        // Anything beyond the device count can never fit; clamping keeps the int conversion safe.
        return (int)Math.Min(units, (double)(_freeUnits.Length + 1) * UnitsPerDevice);
    }
}
