namespace Granary;

/// <summary>Marks a method or actor class for <see cref="PackPlacement"/>.</summary>
public sealed class PackPlacementAttribute : PlacementAttribute
{
    public override PlacementStrategy Strategy => PackPlacement.Instance;
}
