namespace Granary.Runtime.Gpus;

/// <summary>
/// Where a task's simulated GPU memory use goes (<see cref="TaskContext.ReportSimulatedGpuMemoryAsync"/>):
/// the node's book of its simulated devices, directly in a silo or through the silo from a worker process.
/// </summary>
internal interface IGpuMemoryReporter
{
    /// <summary>
    /// Sets <paramref name="taskId"/>'s current use of <paramref name="device"/> to <paramref name="bytes"/>.
    /// Throws <see cref="GpuOutOfMemoryException"/> when the device has no room for it (the previous use stays);
    /// does nothing on a node whose devices are real (NVML measures those).
    /// </summary>
    ValueTask ReportAsync(string taskId, int device, long bytes, CancellationToken cancellationToken);
}
