using Orleans.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>Marks a grain class whose key is a node id: each activation lives on that node's silo.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class NodePlacementAttribute() : global::Orleans.Placement.PlacementAttribute(NodePlacement.Instance);
