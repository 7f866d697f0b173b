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

    public GpuAllocator(int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceCount);
        _freeUnits = new int[deviceCount];
        Array.Fill(_freeUnits, UnitsPerDevice);
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
