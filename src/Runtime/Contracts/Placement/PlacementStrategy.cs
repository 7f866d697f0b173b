using Granary.Runtime.Wire;
using Orleans.Metadata;

namespace Granary;

/// <summary>
/// Where work goes among the nodes: a task or actor (the head's scheduler carries it out among nodes that
/// have room) or a user's own Orleans grain (an Orleans placement director carries it out among the
/// compatible silos, by their published resources). An Orleans <c>PlacementStrategy</c>: Orleans keeps no
/// strategy object per grain type on the wire, it writes the strategy's name and arguments into the grain
/// type's properties and rebuilds the strategy from them on each silo (<see cref="Initialize"/>).
/// Immutable once built, so thread-safe.
/// </summary>
public abstract class PlacementStrategy : global::Orleans.Runtime.PlacementStrategy
{
    private protected PlacementStrategy()
    {
    }

    internal abstract Placement ToWire();

    /// <summary>
    /// The name Orleans resolves the strategy by. Orleans' default is the bare type name, which would collide
    /// with Orleans' own <c>PreferLocalPlacement</c>; the prefix keeps Granary's apart.
    /// </summary>
    internal static string OrleansNameOf(Type strategyType) => "Granary." + strategyType.Name;

    public override void PopulateGrainProperties(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        properties[WellKnownGrainTypeProperties.PlacementStrategy] = OrleansNameOf(GetType());
    }

    private protected static string Required(GrainProperties properties, string key) =>
        properties.Properties.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new GranaryException($"Grain type properties lack '{key}': the silo that declared this grain type runs an older Granary; upgrade it.");
}
