using Granary.Runtime.Wire;

namespace Granary;

/// <summary>Put each task or actor on the least busy node that fits, rotating among equals, so work spreads over nodes.</summary>
public sealed class SpreadPlacement : PlacementStrategy
{
    public static SpreadPlacement Instance { get; } = new();

    internal override Placement ToWire() => new() { Kind = PlacementKind.Spread };
}
