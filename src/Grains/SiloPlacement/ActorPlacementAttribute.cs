namespace Granary.Grains.SiloPlacement;

/// <summary>Marks the actor grain class: its activations go where <see cref="ActorPlacementDirector"/> says.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class ActorPlacementAttribute() : global::Orleans.Placement.PlacementAttribute(ActorPlacement.Instance);
