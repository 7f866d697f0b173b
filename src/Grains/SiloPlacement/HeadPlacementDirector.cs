using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Granary.Grains.Hosting;
using Orleans.Runtime.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// Puts the head grain on the head silo: the active member whose metadata says <c>granary.role=head</c>
/// (the newest, if a restarted head overlaps its dead predecessor). Metadata of a silo that just joined
/// arrives shortly after its membership, so an unknown head is looked for again for a few seconds before
/// the call fails naming the fix. Thread-safe.
/// </summary>
internal sealed class HeadPlacementDirector(IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, Hosting.GranarySiloRole role) : global::Orleans.Runtime.Placement.IPlacementDirector
{
    private static readonly TimeSpan LookFor = TimeSpan.FromSeconds(10);

    public async Task<SiloAddress> OnAddActivation(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        if (role.IsHead)
        {
            return local.SiloAddress;
        }

        var deadline = Environment.TickCount64 + (long)LookFor.TotalMilliseconds;
        while (true)
        {
            if (Find() is { } head)
            {
                return head;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new GranaryException($"No head silo is an active member of this cluster (looked for {LookFor.TotalSeconds:0} s). Start one with 'granary start --head'.");
            }

            await membership.Refresh().ConfigureAwait(false);
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private SiloAddress? Find()
    {
        SiloAddress? best = null;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active
                && metadata.GetSiloMetadata(member.SiloAddress).Metadata.TryGetValue(SiloNames.RoleKey, out var r) && r == SiloNames.HeadRole
                && (best is null || member.SiloAddress.Generation > best.Generation))
            {
                best = member.SiloAddress;
            }
        }

        return best;
    }
}
