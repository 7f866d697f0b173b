using Orleans.Runtime;

namespace Granary.Grains.SiloPlacement;

/// <summary>Finds a node's silo in Orleans membership: the newest active member named after the node. Thread-safe.</summary>
internal static class ActiveSilos
{
    public static SiloAddress? Find(IClusterMembershipService membership, string nodeId)
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

    /// <summary>As <see cref="Find"/>, refreshing this silo's view once when the node is unknown (it may have joined a moment ago).</summary>
    public static async Task<SiloAddress?> FindFreshAsync(IClusterMembershipService membership, string nodeId)
    {
        if (Find(membership, nodeId) is { } found)
        {
            return found;
        }

        await membership.Refresh().ConfigureAwait(false);
        return Find(membership, nodeId);
    }
}
