using Orleans.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>Marks the head grain class: its one activation lives on the head silo.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class HeadPlacementAttribute() : global::Orleans.Placement.PlacementAttribute(HeadPlacement.Instance);
