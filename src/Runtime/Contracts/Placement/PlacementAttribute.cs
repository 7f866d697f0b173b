namespace Granary;

/// <summary>
/// Sets the placement of a remote method or an actor class where the call's options do not (options win
/// over the attribute; the attribute wins over the default, pack), and of a user's own Orleans grain class:
/// it is an Orleans placement attribute too, so Orleans reads it from the grain class and Granary's
/// directors place the grain's activations. One attribute serves both because Orleans only looks at
/// classes and Granary looks at methods and classes.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public abstract class PlacementAttribute : global::Orleans.Placement.PlacementAttribute
{
    protected PlacementAttribute(global::Granary.PlacementStrategy strategy)
        : base(strategy) => Strategy = strategy;

    public global::Granary.PlacementStrategy Strategy { get; }
}
