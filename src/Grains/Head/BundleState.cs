using Granary.Runtime.Gpus;
using Granary.Runtime.Scheduling;

namespace Granary.Grains.Head;

/// <summary>
/// One reserved bundle of a placement group: a slice of a node that leases targeting the group draw from.
/// Not thread-safe: guarded by the scheduler's lock.
/// </summary>
internal sealed class BundleState(int index, ResourceSet total)
{
    public int Index { get; } = index;

    public ResourceSet Total { get; } = total;

    public ResourceSet Available { get; private set; } = total.Clone();

    public NodeRecord? Node { get; private set; }

    /// <summary>The node's GPU ids reserved for this bundle; leases get ids from among these.</summary>
    public int[] GpuIds { get; private set; } = [];

    public GpuAllocator Gpus { get; private set; } = new(0);

    public int ActiveLeases { get; set; }

    public void PlaceOn(NodeRecord node, int[] gpuIds)
    {
        Node = node;
        GpuIds = gpuIds;
        Available = Total.Clone();
        Gpus = new GpuAllocator(gpuIds.Length);
    }

    public void Unplace()
    {
        Node = null;
        GpuIds = [];
        ActiveLeases = 0;
    }
}
