using System.Collections.Concurrent;
using Granary.Grains.Head.Placement;
using Granary.Grains.Hosting;
using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// The Orleans director of every Granary strategy on a user's grain (registered once per strategy type):
/// it turns the strategy into the head's <c>Placement</c> message and lets the same
/// <see cref="Head.Placement.IPlacementDirector"/> the head's scheduler uses choose among the compatible
/// silos, each seen through its published resources. A grain takes no resources, so every eligible silo
/// fits. Silo metadata arrives shortly after membership, so with no eligible silo it looks again for a
/// few seconds before failing with <see cref="InfeasibleResourcesException"/> naming why (Orleans' director
/// interface takes no cancellation token; the wait is bounded instead). Placement runs before any grain
/// call filter, so the error leaves already as a <see cref="GranaryFault"/>: Orleans cannot serialize
/// Granary's exceptions, and callers with Granary's filter (Granary's client and silos) see the typed one. Thread-safe: choices are made
/// under a lock, as Spread keeps turns.
/// </summary>
internal sealed class GranaryPlacementDirector(ISiloMetadataCache metadata, ILocalSiloDetails local) : global::Orleans.Runtime.Placement.IPlacementDirector
{
    internal static readonly TimeSpan LookFor = TimeSpan.FromSeconds(5);

    private readonly PlacementDirectors _directors = new();
    private readonly ConcurrentDictionary<SiloAddress, SiloNode> _nodes = new();
    private readonly Lock _gate = new();

    public async Task<SiloAddress> OnAddActivation(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(context);
        var placement = ToWire(strategy, target);
        var director = _directors.For(placement.Kind);
        var deadline = Environment.TickCount64 + (long)LookFor.TotalMilliseconds;
        while (true)
        {
            var nodes = Nodes(context.GetCompatibleSilos(target));
            lock (_gate)
            {
                var eligible = director.Eligible(nodes, placement).ToList();
                if (eligible.Count > 0)
                {
                    var chosen = director.Choose(eligible, placement);
                    chosen.Placed++;
                    return chosen.Silo;
                }
            }

            if (Environment.TickCount64 > deadline)
            {
                throw Infeasible($"Grain {target.GrainIdentity} can never be placed: {director.NoEligibleReason(placement)} (compatible Granary silos: {string.Join(", ", nodes.Select(n => n.NodeId))}).");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private Placement ToWire(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target)
    {
        switch (strategy)
        {
            case PlacementGroupPlacement:
                // The bundle's node is hard node affinity: the grain goes there or nowhere.
                var data = target.RequestContextData;
                return data is not null && data.TryGetValue(PlacementGroupPlacement.NodeKey, out var node) && node is string nodeId && nodeId.Length > 0
                    ? new Placement { Kind = PlacementKind.NodeAffinity, NodeId = nodeId, PlacementGroupId = data.GetValueOrDefault(PlacementGroupPlacement.GroupKey) as string ?? string.Empty }
                    : throw Infeasible($"Grain {target.GrainIdentity} has [PlacementGroupPlacement] but its first call named no bundle; make that call inside PlacementGroupPlacement.UseBundle(group, bundleIndex).");
            case PlacementStrategy granary:
                var placement = granary.ToWire();
                if (placement.Kind == PlacementKind.PreferLocal)
                {
                    // The silo placing the activation is the caller's (for a client, its gateway).
                    placement.PreferredNodeId = local.Name;
                }

                return placement;
            default:
                throw new GranaryException($"Granary's placement director was handed {strategy.GetType().Name}, which is not a Granary strategy.");
        }
    }

    private GranaryFault Infeasible(string message) =>
        new(ErrorConverter.FromException(new InfeasibleResourcesException(message), local.Name, "placement"));

    private List<SiloNode> Nodes(SiloAddress[] compatible)
    {
        var nodes = new List<SiloNode>(compatible.Length);
        foreach (var silo in compatible)
        {
            if (_nodes.TryGetValue(silo, out var known))
            {
                nodes.Add(known);
            }
            else if (SiloResourceMetadata.Parse(metadata.GetSiloMetadata(silo).Metadata) is { } resources)
            {
                nodes.Add(_nodes.GetOrAdd(silo, new SiloNode(silo, resources)));
            }
        }

        return nodes;
    }
}
