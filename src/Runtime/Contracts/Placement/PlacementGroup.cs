namespace Granary;

/// <summary>
/// A set of resource bundles reserved atomically. Target a bundle with <see cref="ResourceOptions.PlacementGroup"/>
/// (and <see cref="ResourceOptions.BundleIndex"/>); remove the group to free its resources. Immutable.
/// </summary>
public sealed class PlacementGroup
{
    internal PlacementGroup(string id, string? name, PlacementGroupStrategy strategy, IReadOnlyList<PlacementBundle> bundles)
    {
        Id = id;
        Name = name;
        Strategy = strategy;
        Bundles = bundles;
    }

    public string Id { get; }

    public string? Name { get; }

    public PlacementGroupStrategy Strategy { get; }

    public IReadOnlyList<PlacementBundle> Bundles { get; }

    public override string ToString() => $"PlacementGroup({Name ?? Id}, {Strategy}, {Bundles.Count} bundles)";
}
