using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>A placement group as the head keeps it. Not thread-safe: guarded by the scheduler's lock.</summary>
internal sealed class GroupState(CreatePlacementGroup spec, List<BundleState> bundles)
{
    public CreatePlacementGroup Spec { get; } = spec;

    public string Id => Spec.GroupId;

    public List<BundleState> Bundles { get; } = bundles;

    public bool Removed { get; set; }

    public bool Placed => Bundles.All(b => b.Node is not null);

    public PlacementGroupInfo ToInfo()
    {
        var info = new PlacementGroupInfo { GroupId = Spec.GroupId, Name = Spec.Name, Strategy = Spec.Strategy, JobId = Spec.JobId, Removed = Removed };
        foreach (var bundle in Bundles)
        {
            var wire = new BundleInfo { Index = bundle.Index, NodeId = bundle.Node?.NodeId ?? string.Empty, Address = bundle.Node?.Address ?? string.Empty, Resources = bundle.Total.ToWire() };
            wire.GpuIds.AddRange(bundle.GpuIds);
            info.Bundles.Add(wire);
        }

        return info;
    }
}
