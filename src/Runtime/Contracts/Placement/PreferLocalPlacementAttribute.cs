namespace Granary;

/// <summary>
/// Marks a method, actor class or Orleans grain class for <see cref="PreferLocalPlacement"/>. Beside
/// <c>using Orleans.Placement;</c> write <c>[Granary.PreferLocalPlacement]</c>: Orleans has an attribute of the same name.
/// </summary>
public sealed class PreferLocalPlacementAttribute() : PlacementAttribute(PreferLocalPlacement.Instance);
