using Granary.Runtime.Wire;

namespace Granary;

/// <summary>The default: fill the busiest node that still fits before using the next, keeping nodes free for large requests.</summary>
[GenerateSerializer, Immutable]
public sealed class PackPlacement : PlacementStrategy
{
    public static PackPlacement Instance { get; } = new();

    internal override Placement ToWire() => new() { Kind = PlacementKind.Pack };
}
