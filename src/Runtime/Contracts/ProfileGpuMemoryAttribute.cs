namespace Granary;

/// <summary>
/// Marks a remote function whose GPU memory is profiled at run time, as <c>RemoteOptions.GpuMemory =
/// GpuMemory.Profiled</c> does for one call (options win over the attribute). GLB's decorator.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ProfileGpuMemoryAttribute : Attribute
{
    /// <summary>A job type key, as <see cref="GpuMemory.ProfiledAs"/>; null profiles the method itself.</summary>
    public string? Key { get; set; }

    /// <summary>
    /// The name of a lighter static method of the same class, with the same parameters, that runs in this
    /// one's place while its job type is profiled (GLB's <c>@long_job.profile</c>): it runs first, alone on
    /// the device, its peak becomes the profile, and then this method runs. At your own risk: the profile is
    /// only as good as the stand-in's use is like this method's; a run that outgrows it is recorded and the
    /// type profiled again.
    /// </summary>
    public string? StandIn { get; set; }
}
