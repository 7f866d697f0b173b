namespace Granary.Grains.Head;

/// <summary>What a GPU memory request of a profiled job type gets now.</summary>
internal enum GpuProfileMode
{
    /// <summary>Its type is being profiled: it waits for the measurement.</summary>
    Wait,

    /// <summary>Nobody measured its type (or it must be measured again): a device of its own, measured.</summary>
    Profile,

    /// <summary>Its type has a profile: the profile plus the margin, packed beside others.</summary>
    Packed,
}
