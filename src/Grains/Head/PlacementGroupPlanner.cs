using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// Lays a group's bundles over nodes for a strategy, against either the nodes' totals (could it ever fit?)
/// or what is free now. Greedy, largest bundle first. Returns one node per bundle, or null.
/// </summary>
internal static class PlacementGroupPlanner
{
    public static NodeRecord[]? Plan(PlacementGroupStrategyKind strategy, IReadOnlyList<ResourceSet> bundles, IReadOnlyList<NodeRecord> nodes, bool againstTotals)
    {
        var capacity = nodes.ToDictionary(n => n, n => (againstTotals ? n.Total : n.Available).Clone());
        switch (strategy)
        {
            case PlacementGroupStrategyKind.PlacementGroupStrictPack:
                return OnOneNode(bundles, capacity);
            case PlacementGroupStrategyKind.PlacementGroupPack:
                return OnOneNode(bundles, capacity) ?? Greedy(bundles, capacity, distinct: false, preferUsed: true);
            case PlacementGroupStrategyKind.PlacementGroupStrictSpread:
                return Greedy(bundles, capacity, distinct: true, preferUsed: false);
            default:
                return Greedy(bundles, capacity, distinct: true, preferUsed: false) ?? Greedy(bundles, capacity, distinct: false, preferUsed: false);
        }
    }

    private static NodeRecord[]? OnOneNode(IReadOnlyList<ResourceSet> bundles, Dictionary<NodeRecord, ResourceSet> capacity)
    {
        var sum = new ResourceSet();
        foreach (var bundle in bundles)
        {
            sum.Add(bundle);
        }

        var node = capacity.Where(c => c.Value.Fits(sum)).Select(c => c.Key)
            .OrderByDescending(n => n.Info.IsHead ? -1 : n.Available.Utilization(n.Total)).ThenBy(n => n.Order).FirstOrDefault();
        return node is null ? null : Enumerable.Repeat(node, bundles.Count).ToArray();
    }

    private static NodeRecord[]? Greedy(IReadOnlyList<ResourceSet> bundles, Dictionary<NodeRecord, ResourceSet> capacity, bool distinct, bool preferUsed)
    {
        var left = capacity.ToDictionary(c => c.Key, c => c.Value.Clone());
        var uses = capacity.Keys.ToDictionary(n => n, _ => 0);
        var result = new NodeRecord[bundles.Count];
        foreach (var index in Enumerable.Range(0, bundles.Count).OrderByDescending(i => bundles[i].Amounts.Values.Sum()))
        {
            var candidates = left.Where(c => c.Value.Fits(bundles[index]) && (!distinct || uses[c.Key] == 0)).Select(c => c.Key);
            var chosen = (preferUsed
                    ? candidates.OrderByDescending(n => uses[n])
                    : candidates.OrderBy(n => uses[n]))
                .ThenBy(n => n.Info.IsHead ? 1 : 0)
                .ThenBy(n => n.Order)
                .FirstOrDefault();
            if (chosen is null)
            {
                return null;
            }

            left[chosen].Subtract(bundles[index]);
            uses[chosen]++;
            result[index] = chosen;
        }

        return result;
    }
}
