namespace Granary;

/// <summary>Marks a method or actor class for <see cref="SpreadPlacement"/>.</summary>
public sealed class SpreadPlacementAttribute : PlacementAttribute
{
    public override PlacementStrategy Strategy => SpreadPlacement.Instance;
}
