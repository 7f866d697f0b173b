using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// Where the scheduler puts a task or actor among the nodes that have room. Orleans-style: a serializable
/// strategy (this type), an optional attribute on the method or actor class, and a director inside the
/// head that carries it out. Immutable, so thread-safe.
/// </summary>
public abstract class PlacementStrategy
{
    private protected PlacementStrategy()
    {
    }

    internal abstract Placement ToWire();
}
