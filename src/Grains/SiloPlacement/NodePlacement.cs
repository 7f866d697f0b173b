using Orleans.Runtime;

namespace Granary.Grains.SiloPlacement;

/// <summary>Places a grain keyed by node id on that node's silo, and nowhere else.</summary>
internal sealed class NodePlacement : global::Orleans.Runtime.PlacementStrategy
{
    public static NodePlacement Instance { get; } = new();
}
