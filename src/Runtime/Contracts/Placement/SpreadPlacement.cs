using Granary.Runtime.Wire;

namespace Granary;

/// <summary>Rotate over the nodes that fit (round robin, the least busy first among those picked equally long ago), so work spreads over nodes.</summary>
[GenerateSerializer, Immutable]
public sealed class SpreadPlacement : PlacementStrategy
{
    public static SpreadPlacement Instance { get; } = new();

    internal override Placement ToWire() => new() { Kind = PlacementKind.Spread };
}
