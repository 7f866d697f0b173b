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
    public Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<ResourceBundle> bundles, PlacementGroupStrategy strategy = PlacementGroupStrategy.Pack, string? name = null, CancellationToken cancellationToken = default) =>
        CreatePlacementGroupAsync(bundles, strategy, name, gpuType: null, cancellationToken);

    /// <summary>The same, with every bundle on a node whose GPUs are of <paramref name="gpuType"/> (multi-rank launches).</summary>
    internal async Task<PlacementGroup> CreatePlacementGroupAsync(IEnumerable<ResourceBundle> bundles, PlacementGroupStrategy strategy, string? name, string? gpuType, CancellationToken cancellationToken)
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
            GpuType = gpuType ?? string.Empty,
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
