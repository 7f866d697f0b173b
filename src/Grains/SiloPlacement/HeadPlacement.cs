using Orleans.Runtime;

namespace Granary.Grains.SiloPlacement;

/// <summary>Places the head grain on the silo started as the head (silo metadata <c>granary.role=head</c>).</summary>
internal sealed class HeadPlacement : global::Orleans.Runtime.PlacementStrategy
{
    public static HeadPlacement Instance { get; } = new();
}
