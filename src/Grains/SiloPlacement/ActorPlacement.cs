namespace Granary.Grains.SiloPlacement;

/// <summary>
/// Places an actor's grain on the node the head leased for it (named in the request context by the head),
/// or, for a call that finds no activation, on the node the head says the actor lives on.
/// </summary>
internal sealed class ActorPlacement : global::Orleans.Runtime.PlacementStrategy
{
    /// <summary>The request-context key holding the leased node's id while the head activates an actor.</summary>
    public const string NodeKey = "granary.actor-node";

    public static ActorPlacement Instance { get; } = new();
}
