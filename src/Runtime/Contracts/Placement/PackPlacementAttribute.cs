namespace Granary;

/// <summary>Marks a method, actor class or Orleans grain class for <see cref="PackPlacement"/>.</summary>
public sealed class PackPlacementAttribute() : PlacementAttribute(PackPlacement.Instance);
