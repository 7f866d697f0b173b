namespace Granary;

/// <summary>Marks a method, actor class or Orleans grain class for <see cref="NodeAffinityPlacement"/> (hard unless <paramref name="soft"/>).</summary>
public sealed class NodeAffinityPlacementAttribute(string nodeId, bool soft = false) : PlacementAttribute(new NodeAffinityPlacement(nodeId, soft));
