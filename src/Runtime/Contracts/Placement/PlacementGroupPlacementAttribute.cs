namespace Granary;

/// <summary>Marks an Orleans grain class for <see cref="PlacementGroupPlacement"/>: the caller picks the bundle with <see cref="PlacementGroupPlacement.UseBundle"/>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class PlacementGroupPlacementAttribute() : global::Orleans.Placement.PlacementAttribute(PlacementGroupPlacement.Instance);
