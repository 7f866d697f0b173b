using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>Placement groups: bundles reserved atomically on nodes, and leases drawn from them.</summary>
internal sealed partial class ResourceScheduler
{
    private readonly Dictionary<string, GroupState> _groups = new(StringComparer.Ordinal);

    // Removed groups (id to description), so late work for one fails as the group's removal, not as a typo.
    private readonly Dictionary<string, string> _removedGroups = new(StringComparer.Ordinal);

    // Placed groups that lost bundles to a dead node; they are placed again as soon as their bundles fit.
    private readonly HashSet<GroupState> _displacedGroups = [];
    private readonly LinkedList<(GroupState Group, TaskCompletionSource<PlacementGroupInfo> Completion)> _pendingGroups = new();

    /// <summary>Reserves every bundle or none; waits while the group could fit later, fails when it never can.</summary>
    public Task<PlacementGroupInfo> CreateGroupAsync(CreatePlacementGroup spec, CancellationToken cancellationToken)
    {
        var bundles = spec.Bundles.Select((b, i) => new BundleState(i, ResourceSet.FromWire(b))).ToList();
        if (bundles.Count == 0)
        {
            return Task.FromException<PlacementGroupInfo>(new ArgumentException("A placement group needs at least one bundle."));
        }

        var group = new GroupState(spec, bundles);
        lock (_gate)
        {
            if (_groups.ContainsKey(spec.GroupId))
            {
                return Task.FromResult(_groups[spec.GroupId].ToInfo());
            }

            var present = _nodes.Where(n => n.Present).ToList();
            var typed = present.Where(n => OfGroupType(spec, n)).ToList();
            if (present.Count > 0 && PlacementGroupPlanner.Plan(spec.Strategy, bundles.Select(b => b.Total).ToList(), typed, againstTotals: true) is null)
            {
                var need = spec.GpuType.Length == 0 ? StrategyNeed(spec.Strategy) : $"{StrategyNeed(spec.Strategy)} on nodes with {spec.GpuType} GPUs";
                return Task.FromException<PlacementGroupInfo>(new InfeasibleResourcesException(
                    $"Placement group {Describe(spec)} can never be reserved: {need}, and the live nodes offer {string.Join("; ", present.Select(n => $"{n.NodeId} {n.Total}"))}. Use fewer or smaller bundles, a looser strategy, or more nodes."));
            }

            _groups[spec.GroupId] = group;
            if (TryPlaceGroupLocked(group))
            {
                return Task.FromResult(group.ToInfo());
            }

            var completion = new TaskCompletionSource<PlacementGroupInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
            var entry = _pendingGroups.AddLast((group, completion));
            cancellationToken.Register(() =>
            {
                lock (_gate)
                {
                    if (entry.List is not null)
                    {
                        _pendingGroups.Remove(entry);
                        _groups.Remove(group.Id);
                    }
                }

                completion.TrySetCanceled(cancellationToken);
            });
            return completion.Task;
        }
    }

    /// <summary>A group placed before a head restart: its bundles are taken out of their nodes again.</summary>
    public void RestoreGroup(PersistedGroup persisted)
    {
        lock (_gate)
        {
            if (_groups.ContainsKey(persisted.Spec.GroupId))
            {
                return;
            }

            var bundles = persisted.Spec.Bundles.Select((b, i) => new BundleState(i, ResourceSet.FromWire(b))).ToList();
            foreach (var placed in persisted.Info.Bundles)
            {
                var node = _nodes.Find(n => n.NodeId == placed.NodeId && n.State != NodeState.Dead);
                if (node is null || placed.Index >= bundles.Count)
                {
                    continue;
                }

                var bundle = bundles[placed.Index];
                node.Available.Subtract(bundle.Total);
                node.Gpus.Take([.. placed.GpuIds], bundle.Total[ResourceSet.Gpu]);
                bundle.PlaceOn(node, [.. placed.GpuIds]);
            }

            var group = new GroupState(persisted.Spec, bundles);
            _groups[persisted.Spec.GroupId] = group;
            if (!group.Placed)
            {
                // Some of its nodes are gone: place those bundles again when they fit.
                _displacedGroups.Add(group);
            }
        }
    }

    /// <summary>
    /// Removes the group; null when there is none. The leases still drawing from it are listed with the
    /// error their work fails with: the caller stops them on their nodes, and their bundles go back as
    /// they return.
    /// </summary>
    public (PlacementGroupInfo Info, IReadOnlyList<(string LeaseId, string NodeId)> Leases, PlacementGroupRemovedException Error)? RemoveGroup(string groupId)
    {
        List<Action> completions = [];
        PlacementGroupInfo? info;
        List<(string, string)> leases;
        GroupState? group;
        lock (_gate)
        {
            if (!_groups.TryGetValue(groupId, out group) || group.Removed)
            {
                return null;
            }

            RemoveGroupLocked(group, completions);
            info = group.ToInfo();
            var bundles = group.Bundles.ToHashSet();
            leases = [.. _leases.Values.Where(l => l.Bundle is not null && bundles.Contains(l.Bundle)).Select(l => (l.Id, l.Node.NodeId))];
            RetryPendingLocked(completions);
        }

        Run(completions);
        return (info, leases, RemovedError(group.Spec, "its running work was stopped"));
    }

    private static PlacementGroupRemovedException RemovedError(CreatePlacementGroup spec, string what) =>
        new($"Placement group {Describe(spec)} was removed; {what}. Create the group again and submit the work to the new one.");

    public IReadOnlyList<PlacementGroupInfo> Groups()
    {
        lock (_gate)
        {
            return _groups.Values.Where(g => !g.Removed).Select(g => g.ToInfo()).ToList();
        }
    }

    private void RemoveGroupLocked(GroupState group, List<Action> completions)
    {
        group.Removed = true;
        _groups.Remove(group.Id);
        if (_removedGroups.Count >= 10_000)
        {
            _removedGroups.Clear();
        }

        _removedGroups[group.Id] = Describe(group.Spec);
        for (var entry = _pendingGroups.First; entry is not null; entry = entry.Next)
        {
            if (entry.Value.Group == group)
            {
                var completion = entry.Value.Completion;
                _pendingGroups.Remove(entry);
                completions.Add(() => completion.TrySetException(new GranaryException($"Placement group {Describe(group.Spec)} was removed before it could be reserved.")));
                break;
            }
        }

        // Bundles with work still running are handed back when their last lease returns.
        foreach (var bundle in group.Bundles.Where(b => b.ActiveLeases == 0))
        {
            ReleaseBundleLocked(bundle);
        }

        for (var entry = _pending.First; entry is not null;)
        {
            var next = entry.Next;
            var pending = entry.Value;
            if (pending.Placement.PlacementGroupId == group.Id)
            {
                _pending.Remove(entry);
                completions.Add(() => pending.Completion.TrySetException(RemovedError(group.Spec, "its waiting work cannot run")));
            }

            entry = next;
        }
    }

    private void RetryPendingGroupsLocked(List<Action> completions)
    {
        for (var entry = _pendingGroups.First; entry is not null;)
        {
            var next = entry.Next;
            var (group, completion) = entry.Value;
            if (TryPlaceGroupLocked(group))
            {
                _pendingGroups.Remove(entry);
                var info = group.ToInfo();
                completions.Add(() => completion.TrySetResult(info));
            }

            entry = next;
        }

        // Groups that lost bundles to a dead node take them back as soon as they fit again. Only those are
        // looked at: this runs on every lease return, so it must not walk every group.
        if (_displacedGroups.Count > 0)
        {
            _displacedGroups.RemoveWhere(g => g.Removed || TryPlaceGroupLocked(g));
        }
    }

    /// <summary>Places every unplaced bundle of the group now, atomically, or changes nothing.</summary>
    private bool TryPlaceGroupLocked(GroupState group)
    {
        var unplaced = group.Bundles.Where(b => b.Node is null).ToList();
        if (unplaced.Count == 0)
        {
            return true;
        }

        var nodes = _nodes.Where(n => n.Schedulable && OfGroupType(group.Spec, n)).ToList();
        var plan = PlacementGroupPlanner.Plan(group.Spec.Strategy, unplaced.Select(b => b.Total).ToList(), nodes, againstTotals: false);
        if (plan is null)
        {
            return false;
        }

        var taken = new List<(BundleState Bundle, NodeRecord Node, int[] GpuIds)>();
        for (var i = 0; i < unplaced.Count; i++)
        {
            var gpuIds = AllocateGpus(plan[i].Gpus, unplaced[i].Total);
            if (gpuIds is null)
            {
                // GPU fractions are too fragmented on that node: undo and wait.
                foreach (var (bundle, node, ids) in taken)
                {
                    node.Available.Add(bundle.Total);
                    node.Gpus.Release(ids, bundle.Total[ResourceSet.Gpu]);
                }

                return false;
            }

            plan[i].Available.Subtract(unplaced[i].Total);
            taken.Add((unplaced[i], plan[i], gpuIds));
        }

        foreach (var (bundle, node, ids) in taken)
        {
            bundle.PlaceOn(node, ids);
        }

        return true;
    }

    private void ReleaseBundleLocked(BundleState bundle)
    {
        if (bundle.Node is { State: not NodeState.Dead } node)
        {
            node.Available.Add(bundle.Total);
            if (bundle.GpuIds.Length > 0)
            {
                node.Gpus.Release(bundle.GpuIds, bundle.Total[ResourceSet.Gpu]);
            }
        }

        bundle.Unplace();
    }

    private void ReturnToBundleLocked(BundleState bundle, LeaseState lease)
    {
        var group = _groups.Values.FirstOrDefault(g => g.Bundles.Contains(bundle));
        if (group is null)
        {
            // The group was removed while this lease ran; the bundle goes back once it is idle.
            if (bundle.ActiveLeases == 0)
            {
                ReleaseBundleLocked(bundle);
            }

            return;
        }

        bundle.Available.Add(lease.Amount);
        if (lease.GpuIds.Length > 0)
        {
            bundle.Gpus.Release(lease.GpuIds.Select(id => Array.IndexOf(bundle.GpuIds, id)).ToArray(), lease.Amount[ResourceSet.Gpu]);
        }
    }

    private LeaseGrant? TryGrantInGroupLocked(string holder, ResourceSet request, Runtime.Wire.Placement placement)
    {
        if (!_groups.TryGetValue(placement.PlacementGroupId, out var group))
        {
            return null;
        }

        foreach (var bundle in Candidates(group, placement))
        {
            if (bundle.Node is not { Schedulable: true } node || !bundle.Available.Fits(request))
            {
                continue;
            }

            var local = AllocateGpus(bundle.Gpus, request);
            if (local is null)
            {
                continue;
            }

            bundle.Available.Subtract(request);
            bundle.ActiveLeases++;
            return RecordLeaseLocked(holder, node, request, local.Select(i => bundle.GpuIds[i]).ToArray(), bundle);
        }

        return null;
    }

    private Exception? GroupInfeasibleReasonLocked(ResourceSet request, Runtime.Wire.Placement placement)
    {
        if (!_groups.TryGetValue(placement.PlacementGroupId, out var group))
        {
            if (_removedGroups.TryGetValue(placement.PlacementGroupId, out var removed))
            {
                return new PlacementGroupRemovedException($"Placement group {removed} was removed; work for it cannot run. Create the group again and submit the work to the new one.");
            }

            return new GranaryException($"Placement group {placement.PlacementGroupId} does not exist (it was removed, or its job ended). Create it again, or drop PlacementGroup from the options.");
        }

        var candidates = Candidates(group, placement).ToList();
        if (candidates.Any(b => b.Total.Fits(request) && b.Gpus.CanEverFit(request[ResourceSet.Gpu])))
        {
            return null;
        }

        var where = placement.HasBundleIndex ? $"bundle {placement.BundleIndex}" : "any bundle";
        return new InfeasibleResourcesException(
            $"Request {request} can never run in placement group {Describe(group.Spec)}: {where} holds at most {string.Join(" / ", candidates.Select(b => b.Total.ToString()))}. Ask for less, or create the group with bigger bundles.");
    }

    private static IEnumerable<BundleState> Candidates(GroupState group, Runtime.Wire.Placement placement) =>
        placement.HasBundleIndex
            ? group.Bundles.Where(b => b.Index == placement.BundleIndex)
            : group.Bundles;

    private static string Describe(CreatePlacementGroup spec) => spec.Name.Length > 0 ? $"'{spec.Name}'" : spec.GroupId;

    private static string StrategyNeed(PlacementGroupStrategyKind strategy) => strategy switch
    {
        PlacementGroupStrategyKind.PlacementGroupStrictPack => "StrictPack needs one node that holds every bundle together",
        PlacementGroupStrategyKind.PlacementGroupStrictSpread => "StrictSpread needs a different node for every bundle",
        _ => "some bundle fits on no node",
    };

    private static bool OfGroupType(CreatePlacementGroup spec, NodeRecord node) => spec.GpuType.Length == 0 || node.HasGpuType(spec.GpuType);
}
