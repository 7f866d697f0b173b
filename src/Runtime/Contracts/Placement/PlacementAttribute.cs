namespace Granary;

/// <summary>
/// Sets the placement of a remote method or an actor class where the call's options do not. Options win
/// over the attribute; the attribute wins over the default (pack).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public abstract class PlacementAttribute : Attribute
{
    public abstract PlacementStrategy Strategy { get; }
}
