using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// Puts a node grain on the silo whose Orleans name is the grain's key (the node id). A node that is not
/// an active member fails the call with <see cref="NodeDiedException"/>: a per-node grain must never
/// move to another silo. A silo that joined a moment ago may not be in this silo's view yet, so an
/// unknown name refreshes the view once before giving up. Thread-safe.
/// </summary>
internal sealed class NodePlacementDirector(IClusterMembershipService membership, ILocalSiloDetails local) : global::Orleans.Runtime.Placement.IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = target.GrainIdentity.Key.ToString();
        if (nodeId == local.Name)
        {
            return local.SiloAddress;
        }

        if (Find(nodeId) is { } found)
        {
            return found;
        }

        await membership.Refresh().ConfigureAwait(false);
        return Find(nodeId) ?? throw new NodeDiedException(nodeId, $"Node {nodeId} is not an active member of the cluster (it died, left, or never joined).");
    }

    private SiloAddress? Find(string nodeId)
    {
        SiloAddress? best = null;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Name == nodeId && member.Status == SiloStatus.Active && (best is null || member.SiloAddress.Generation > best.Generation))
            {
                best = member.SiloAddress;
            }
        }

        return best;
    }
}
