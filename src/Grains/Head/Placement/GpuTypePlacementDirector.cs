namespace Granary.Grains.Head.Placement;

/// <summary>Only nodes whose GPUs match the type; packs among them.</summary>
internal sealed class GpuTypePlacementDirector : IPlacementDirector
{
    public IEnumerable<NodeRecord> Eligible(IEnumerable<NodeRecord> nodes, Runtime.Wire.Placement placement) =>
        nodes.Where(n => n.HasGpuType(placement.GpuType));

    public string NoEligibleReason(Runtime.Wire.Placement placement) =>
        $"no live node has GPUs of type '{placement.GpuType}'; start one with --gpu-type {placement.GpuType}, or ask for another type";

    public NodeRecord Choose(IReadOnlyList<NodeRecord> fitting, Runtime.Wire.Placement placement) => PackPlacementDirector.Busiest(fitting);
}
