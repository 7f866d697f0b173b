using Granary.Runtime.Scheduling;

namespace Granary.Grains.Head;

/// <summary>A granted lease: who holds it, where, how much, which GPUs, and the bundle it draws from (if any).</summary>
internal sealed record LeaseState(string Id, string Holder, NodeRecord Node, ResourceSet Amount, int[] GpuIds, BundleState? Bundle)
{
    /// <summary>Set for a lease packed by GPU memory: its job type, the bytes reserved, whether it profiles.</summary>
    public Runtime.Wire.GpuMemoryGrant? GpuMemory { get; init; }
}
