using System.Globalization;

namespace Granary;

/// <summary>
/// How much of one GPU's memory a task needs, for packing several tasks onto one device by memory instead of
/// by logical fractions (<see cref="ResourceOptions.Gpus"/> = 0.25). <see cref="Profiled"/>: measured at run
/// time, the first time its job type runs (alone on a device), then packed by that profile plus a margin.
/// <see cref="Of"/>: declared bytes, packed the same way without profiling. Immutable.
/// </summary>
public sealed class GpuMemory : IEquatable<GpuMemory>
{
    /// <summary>One gigabyte (10^9 bytes), as GPU makers count (an "80 GB" device).</summary>
    public const long GB = 1_000_000_000;

    private GpuMemory(long bytes, string? profileKey)
    {
        Bytes = bytes;
        ProfileKey = profileKey;
    }

    /// <summary>Profile the task's job type (its method) at run time, GLB's one-decorator style.</summary>
    public static GpuMemory Profiled { get; } = new(0, profileKey: null);

    /// <summary>
    /// Profile under a key of the caller's: when one method does different sizes of work (a model name, a
    /// batch size), each key is a job type of its own with its own profile.
    /// </summary>
    public static GpuMemory ProfiledAs(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new GpuMemory(0, key.Trim());
    }

    /// <summary>Exactly <paramref name="bytes"/> of one device's memory, without profiling.</summary>
    public static GpuMemory Of(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return new GpuMemory(bytes, profileKey: null);
    }

    /// <summary><see cref="Of"/> in gigabytes (10^9 bytes): <c>GpuMemory.Gigabytes(20)</c>.</summary>
    public static GpuMemory Gigabytes(double gigabytes)
    {
        if (!double.IsFinite(gigabytes) || gigabytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gigabytes), gigabytes, "GPU memory must be more than 0 GB.");
        }

        return Of((long)Math.Ceiling(gigabytes * GB));
    }

    /// <summary>True for <see cref="Profiled"/> and <see cref="ProfiledAs"/>.</summary>
    public bool IsProfiled => Bytes == 0;

    /// <summary>The declared bytes; 0 when profiled.</summary>
    public long Bytes { get; }

    /// <summary>The key of <see cref="ProfiledAs"/>; null otherwise.</summary>
    public string? ProfileKey { get; }

    public bool Equals(GpuMemory? other) => other is not null && other.Bytes == Bytes && other.ProfileKey == ProfileKey;

    public override bool Equals(object? obj) => Equals(obj as GpuMemory);

    public override int GetHashCode() => HashCode.Combine(Bytes, ProfileKey);

    public override string ToString() => IsProfiled
        ? ProfileKey is null ? "profiled" : $"profiled as '{ProfileKey}'"
        : $"{(Bytes / (double)GB).ToString("0.###", CultureInfo.InvariantCulture)} GB";
}
