using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// Puts a node grain on the silo whose Orleans name is the grain's key (the node id). A node that is not
/// an active member fails the call with <see cref="NodeDiedException"/>: a per-node grain must never
/// move to another silo. Thread-safe.
/// </summary>
internal sealed class NodePlacementDirector(IClusterMembershipService membership, ILocalSiloDetails local) : global::Orleans.Runtime.Placement.IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = target.GrainIdentity.Key.ToString()!;
        if (nodeId == local.Name)
        {
            return local.SiloAddress;
        }

        return await ActiveSilos.FindFreshAsync(membership, nodeId).ConfigureAwait(false)
            ?? throw new NodeDiedException(nodeId, $"Node {nodeId} is not an active member of the cluster (it died, left, or never joined).");
    }
}
