using System.Globalization;
using Orleans.Metadata;
using Orleans.Runtime;

namespace Granary;

/// <summary>
/// Places a user's Orleans grain on the node of a placement group bundle. A bundle exists only at run time,
/// so the grain class says <c>[PlacementGroupPlacement]</c> and the caller names the bundle for the call
/// that activates the grain, inside <see cref="UseBundle"/>. The caller already holds the group with the
/// node of each bundle, so the bundle's node travels in the call's request context and the director needs
/// no call to the head. The grain sits on that node; it draws nothing from the bundle's reservation.
/// Tasks and actors name their bundle through <see cref="ResourceOptions.PlacementGroup"/> instead.
/// Immutable, so thread-safe.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class PlacementGroupPlacement : global::Orleans.Runtime.PlacementStrategy
{
    internal const string GroupKey = "granary.placement-group";
    internal const string BundleKey = "granary.placement-group.bundle";
    internal const string NodeKey = "granary.placement-group.node";

    public static PlacementGroupPlacement Instance { get; } = new();

    /// <summary>
    /// Grains with <c>[PlacementGroupPlacement]</c> activated by calls made in this async flow until the
    /// scope is disposed go to the node of <paramref name="group"/>'s bundle <paramref name="bundleIndex"/>.
    /// The bundle travels in Orleans' <see cref="RequestContext"/>, so calls those calls make carry it too.
    /// </summary>
    public static IDisposable UseBundle(PlacementGroup group, int bundleIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (bundleIndex < 0 || bundleIndex >= group.Bundles.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(bundleIndex), bundleIndex, $"Placement group {group.Name ?? group.Id} has bundles 0 to {group.Bundles.Count - 1}.");
        }

        RequestContext.Set(GroupKey, group.Id);
        RequestContext.Set(BundleKey, bundleIndex.ToString(CultureInfo.InvariantCulture));
        RequestContext.Set(NodeKey, group.Bundles[bundleIndex].NodeId);
        return new BundleScope();
    }

    public override void PopulateGrainProperties(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        properties[WellKnownGrainTypeProperties.PlacementStrategy] = PlacementStrategy.OrleansNameOf(GetType());
    }

    private sealed class BundleScope : IDisposable
    {
        public void Dispose()
        {
            RequestContext.Remove(GroupKey);
            RequestContext.Remove(BundleKey);
            RequestContext.Remove(NodeKey);
        }
    }
}
