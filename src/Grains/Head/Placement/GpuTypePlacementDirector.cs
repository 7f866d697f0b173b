namespace Granary.Grains.Head.Placement;

/// <summary>Only nodes whose GPUs match the type; packs among them.</summary>
internal sealed class GpuTypePlacementDirector : IPlacementDirector
{
    public IEnumerable<TNode> Eligible<TNode>(IEnumerable<TNode> nodes, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode =>
        nodes.Where(n => n.HasGpuType(placement.GpuType));

    public string NoEligibleReason(Runtime.Wire.Placement placement) =>
        $"no live node has GPUs of type '{placement.GpuType}'; start one with --gpu-type {placement.GpuType}, or ask for another type";

    public TNode Choose<TNode>(IReadOnlyList<TNode> fitting, Runtime.Wire.Placement placement)
        where TNode : IPlacementNode => PackPlacementDirector.Busiest(fitting);
}
