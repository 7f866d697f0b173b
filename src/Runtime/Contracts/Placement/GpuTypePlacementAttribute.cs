namespace Granary;

/// <summary>Marks a method, actor class or Orleans grain class for <see cref="GpuTypePlacement"/>.</summary>
public sealed class GpuTypePlacementAttribute(string gpuType) : PlacementAttribute(new GpuTypePlacement(gpuType));
