using Granary.Runtime.Scheduling;

namespace Granary.Grains.Head;

/// <summary>A granted lease: who holds it, where, how much, which GPUs, and the bundle it draws from (if any).</summary>
internal sealed record LeaseState(string Id, string Holder, NodeRecord Node, ResourceSet Amount, int[] GpuIds, BundleState? Bundle);
