using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>A lease request waiting for resources to free up.</summary>
internal sealed record PendingLease(string Holder, ResourceSet Request, Runtime.Wire.Placement Placement, TaskCompletionSource<LeaseGrant> Completion)
{
    /// <summary>Set when the request packs by GPU memory instead of logical GPUs.</summary>
    public GpuMemoryRequest? GpuMemory { get; init; }
}
