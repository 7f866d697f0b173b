namespace Granary;

/// <summary>Marks a method, actor class or Orleans grain class for <see cref="SpreadPlacement"/>.</summary>
public sealed class SpreadPlacementAttribute() : PlacementAttribute(SpreadPlacement.Instance);
