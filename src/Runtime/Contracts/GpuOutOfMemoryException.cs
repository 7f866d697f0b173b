namespace Granary;

/// <summary>
/// The task ran out of GPU memory: CUDA refused an allocation ("CUDA out of memory"), or on a simulated
/// device the task reported more use than the device had free (<see cref="TaskContext.ReportSimulatedGpuMemoryAsync"/>).
/// A task packed by a profiled GPU memory (<see cref="GpuMemory.Profiled"/>) that fails so on a shared device
/// is retried once alone on a device and its job type's profile is raised; getting its ref throws this only
/// when it ran out alone too, when its memory was declared (<see cref="RemoteOptions.GpuMemoryBytes"/>: the
/// figure was the caller's), or when it asked for logical GPUs.
/// </summary>
public sealed class GpuOutOfMemoryException : GranaryException
{
    public GpuOutOfMemoryException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The device the allocation failed on (its index on the node), when known; -1 otherwise.</summary>
    public int Device { get; init; } = -1;

    /// <summary>What the task would have used in all, in bytes, when known; 0 otherwise.</summary>
    public long RequestedBytes { get; init; }
}
