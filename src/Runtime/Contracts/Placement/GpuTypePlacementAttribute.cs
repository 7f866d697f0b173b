namespace Granary;

/// <summary>Marks a method or actor class for <see cref="GpuTypePlacement"/>.</summary>
public sealed class GpuTypePlacementAttribute(string gpuType) : PlacementAttribute
{
    public override PlacementStrategy Strategy { get; } = new GpuTypePlacement(gpuType);
}
