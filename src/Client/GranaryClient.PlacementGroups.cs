using Granary.Client.Submission;
using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Reserves all <paramref name="bundles"/> atomically with <paramref name="strategy"/>. Waits while the
    /// group could fit once resources free up; fails at once with <see cref="InfeasibleResourcesException"/>
    /// when the live nodes could never hold it. The group belongs to this job and is removed when it ends.
    /// </summary>
    public async Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<ResourceBundle> bundles, PlacementGroupStrategy strategy = PlacementGroupStrategy.Pack, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        ThrowIfDisposed();
        var spec = new CreatePlacementGroup
        {
            GroupId = NewId("pg-"),
            Name = name ?? string.Empty,
            Strategy = strategy switch
            {
                PlacementGroupStrategy.Spread => PlacementGroupStrategyKind.PlacementGroupSpread,
                PlacementGroupStrategy.StrictPack => PlacementGroupStrategyKind.PlacementGroupStrictPack,
                PlacementGroupStrategy.StrictSpread => PlacementGroupStrategyKind.PlacementGroupStrictSpread,
                _ => PlacementGroupStrategyKind.PlacementGroupPack,
            },
            JobId = JobId,
        };
        foreach (var bundle in bundles)
        {
            bundle.Validate();
            if (bundle.Placement is not null || bundle.PlacementGroup is not null)
            {
                throw new ArgumentException("A bundle holds resources only; set placement on the group's strategy instead.", nameof(bundles));
            }

            spec.Bundles.Add(ResourceShape.For(bundle, defaultCpus: 0).Request.Amounts);
        }

        if (spec.Bundles.Count == 0)
        {
            throw new ArgumentException("A placement group needs at least one bundle.", nameof(bundles));
        }

        var reply = await Head.CreatePlacementGroup(spec, cancellationToken).ConfigureAwait(false);
        var info = reply;
        return new PlacementGroup(info.GroupId, name, strategy, info.Bundles
            .Select(b => new PlacementBundle(b.Index, b.NodeId, b.Resources.Amounts.ToDictionary(), [.. b.GpuIds]))
            .ToList());
    }

    /// <summary>Frees the group's resources; actors placed in it are killed and its waiting work fails.</summary>
    public async Task RemovePlacementGroupAsync(PlacementGroup group, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        await Head.RemovePlacementGroup(group.Id, cancellationToken).ConfigureAwait(false);
    }
}
