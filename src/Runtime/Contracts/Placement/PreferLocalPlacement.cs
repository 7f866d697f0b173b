using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// Prefer the caller's node: the node running the calling task or actor, else the client's
/// <see cref="ClientOptions.LocalNodeId"/>; fall back to packing when that node has no room. On an Orleans
/// grain: the silo that places the activation (the caller's silo; for a client, its gateway) when compatible.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class PreferLocalPlacement : PlacementStrategy
{
    public static PreferLocalPlacement Instance { get; } = new();

    internal override Placement ToWire() => new() { Kind = PlacementKind.PreferLocal };
}
