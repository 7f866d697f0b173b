namespace Granary;

/// <summary>Marks a method or actor class for <see cref="PreferLocalPlacement"/>.</summary>
public sealed class PreferLocalPlacementAttribute : PlacementAttribute
{
    public override PlacementStrategy Strategy => PreferLocalPlacement.Instance;
}
