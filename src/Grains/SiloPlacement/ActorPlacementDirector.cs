using Granary.Runtime.Grains;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// Puts an actor's grain where the actor is meant to live. While the head activates an actor it names the
/// leased node in the request context. Any other call that finds no activation — Orleans lost the
/// directory entry when the silo holding it died (a head restart), or the actor is gone — asks the head
/// where the actor lives, so the call reaches the live instance on its node; an actor the head does not
/// know gets an empty activation here that answers ActorDied. Thread-safe.
/// </summary>
internal sealed class ActorPlacementDirector(IClusterMembershipService membership, ILocalSiloDetails local, IGrainFactory grains) : global::Orleans.Runtime.Placement.IPlacementDirector
{
    private static readonly TimeSpan AskHeadFor = TimeSpan.FromSeconds(5);

    public async Task<SiloAddress> OnAddActivation(global::Orleans.Runtime.PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        if (target.RequestContextData is { } data && data.TryGetValue(ActorPlacement.NodeKey, out var value) && value is string leased)
        {
            return await ActiveSilos.FindFreshAsync(membership, leased).ConfigureAwait(false)
                ?? throw new NodeDiedException(leased, $"Node {leased}, leased for actor {target.GrainIdentity.Key}, is not an active member of the cluster.");
        }

        var home = await LocateAsync(target.GrainIdentity.Key.ToString()!).ConfigureAwait(false);
        if (home.Length > 0 && ActiveSilos.Find(membership, home) is { } found)
        {
            return found;
        }

        var compatible = context.GetCompatibleSilos(target);
        return compatible.Contains(local.SiloAddress) ? local.SiloAddress : compatible[0];
    }

    private async Task<string> LocateAsync(string grainKey)
    {
        try
        {
            using var bound = new CancellationTokenSource(AskHeadFor);
            return await grains.GetGrain<IHeadGrain>(IHeadGrain.HeadGrainKey).LocateActor(grainKey, bound.Token).WaitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // No head to ask: the empty activation answers ActorDied, which is the truth as far as anyone knows.
            return string.Empty;
        }
    }
}
