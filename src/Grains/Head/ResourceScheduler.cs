using Granary.Grains.Head.Placement;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's view of every node's resources, the leases carved out of them and the placement groups
/// reserved on them. It never oversubscribes: a request that fits no node now waits (FIFO) until resources
/// free up; one that could never fit any live node fails at once, naming the short resource and the
/// largest offer (Ray's "infeasible" vs "wait"). Thread-safe: one lock guards all state, and waiters are
/// completed outside it.
/// </summary>
internal sealed partial class ResourceScheduler
{
    private readonly object _gate = new();
    private readonly List<NodeRecord> _nodes = [];
    private readonly Dictionary<string, LeaseState> _leases = new(StringComparer.Ordinal);
    private readonly LinkedList<PendingLease> _pending = new();
    private readonly PlacementDirectors _directors = new();
    private readonly string _epoch = Guid.NewGuid().ToString("N")[..6];
    private long _nextLease;
    private int _order;

    // Until then, a request no registered node could take waits instead of failing while only the head is
    // here: a head that restarted without Redis starts with no workers, and they rejoin within about
    // twice the node timeout. The timer fails what still cannot be placed once the grace is over.
    private readonly long _workerGraceUntil;
    private readonly Timer? _graceOver;

    public ResourceScheduler(TimeSpan workerGrace = default)
    {
        _workerGraceUntil = Environment.TickCount64 + (long)workerGrace.TotalMilliseconds;
        if (workerGrace > TimeSpan.Zero)
        {
            _graceOver = new Timer(_ => FailUnplaceableAfterGrace(), null, workerGrace + TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);
        }
    }

    private void FailUnplaceableAfterGrace()
    {
        var completions = new List<Action>();
        lock (_gate)
        {
            FailUnplaceablePendingLocked(completions);
        }

        Run(completions);
        _graceOver?.Dispose();
    }

    public int LeaseCount
    {
        get
        {
            lock (_gate)
            {
                return _leases.Count;
            }
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Adds a node, or takes back one that registers again (after a restart of it or of the head).</summary>
    public void AddNode(NodeInfo info)
    {
        List<Action> completions = [];
        lock (_gate)
        {
            var existing = _nodes.FindIndex(n => n.NodeId == info.NodeId);
            if (existing >= 0)
            {
                DropLeasesOnLocked(_nodes[existing]);
                _nodes.RemoveAt(existing);
            }

            _nodes.Add(new NodeRecord(info.Clone(), ++_order));
            RetryPendingLocked(completions);
        }

        Run(completions);
    }

    /// <summary>A node known before a head restart: suspect until it heartbeats, dead if it never does.</summary>
    public void RestoreNode(NodeInfo info)
    {
        lock (_gate)
        {
            if (_nodes.Any(n => n.NodeId == info.NodeId))
            {
                return;
            }

            var restored = info.Clone();
            restored.Available = restored.Total;
            _nodes.Add(new NodeRecord(restored, ++_order) { State = info.State == NodeState.Dead ? NodeState.Dead : NodeState.Suspect, DeathReason = info.DeathReason });
        }
    }

    /// <summary>A reservation made before a head restart (an actor's), taken out of its node again.</summary>
    public void RestoreLease(string leaseId, string holder, string nodeId, ResourceSet amount, int[] gpuIds)
    {
        lock (_gate)
        {
            var node = _nodes.Find(n => n.NodeId == nodeId);
            if (node is null || node.State == NodeState.Dead || _leases.ContainsKey(leaseId))
            {
                return;
            }

            node.Available.Subtract(amount);
            node.Gpus.Take(gpuIds, amount[ResourceSet.Gpu]);
            _leases[leaseId] = new LeaseState(leaseId, holder, node, amount, gpuIds, Bundle: null);
        }
    }

    public NodeInfo? Node(string nodeId)
    {
        lock (_gate)
        {
            return _nodes.Find(n => n.NodeId == nodeId)?.Snapshot();
        }
    }

    public IReadOnlyList<NodeInfo> Nodes()
    {
        lock (_gate)
        {
            return _nodes.Select(n => n.Snapshot()).ToList();
        }
    }

    /// <summary>Records a heartbeat; false when the head does not know the node (it must register again).</summary>
    public bool Heartbeat(Heartbeat beat)
    {
        List<Action> completions = [];
        lock (_gate)
        {
            var node = _nodes.Find(n => n.NodeId == beat.NodeId);
            if (node is null || node.State == NodeState.Dead)
            {
                return false;
            }

            node.LastHeartbeat = Environment.TickCount64;
            node.RunningTasks = beat.RunningTasks;
            node.QueuedTasks = beat.QueuedTasks;
            node.Store = beat.Store;
            node.Metrics = beat.Metrics;
            MeasuredGpuUseLocked(node, beat.Metrics);
            if (node.State == NodeState.Suspect)
            {
                node.State = NodeState.Alive;
                RetryPendingLocked(completions);
            }
        }

        Run(completions);
        return true;
    }

    /// <summary>The node's connection dropped: no new work there until it heartbeats again.</summary>
    public void MarkSuspect(string nodeId)
    {
        lock (_gate)
        {
            var node = _nodes.Find(n => n.NodeId == nodeId);
            if (node is { State: NodeState.Alive })
            {
                node.State = NodeState.Suspect;
            }
        }
    }

    public void Drain(string nodeId)
    {
        lock (_gate)
        {
            var node = _nodes.Find(n => n.NodeId == nodeId);
            if (node is not null && node.State != NodeState.Dead)
            {
                node.State = NodeState.Draining;
            }
        }
    }

    /// <summary>Nodes silent for longer than <paramref name="timeout"/>; the caller declares them dead.</summary>
    public IReadOnlyList<NodeInfo> Overdue(TimeSpan timeout)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            return _nodes.Where(n => n.State != NodeState.Dead && !n.Info.IsHead && now - n.LastHeartbeat > timeout.TotalMilliseconds)
                .Select(n => n.Snapshot()).ToList();
        }
    }

    /// <summary>Declares a node dead: its leases and bundles are gone, and requests pinned to it fail. False if it already was.</summary>
    public bool MarkDead(string nodeId, string reason)
    {
        List<Action> completions = [];
        lock (_gate)
        {
            var node = _nodes.Find(n => n.NodeId == nodeId);
            if (node is null || node.State == NodeState.Dead)
            {
                return false;
            }

            node.State = NodeState.Dead;
            node.DeathReason = reason;
            DropLeasesOnLocked(node);
            FailUnplaceablePendingLocked(completions);
            RetryPendingLocked(completions);
        }

        Run(completions);
        return true;
    }

    /// <summary>Reserves <paramref name="request"/> on a node; completes when granted, fails at once when infeasible.</summary>
    public Task<LeaseGrant> RequestAsync(string holder, ResourceSet request, Runtime.Wire.Placement placement, CancellationToken cancellationToken) =>
        RequestAsync(holder, request, placement, gpuMemory: null, cancellationToken);

    /// <summary>As above; <paramref name="gpuMemory"/> set packs the request onto one GPU by memory (see <see cref="GpuProfiles"/>).</summary>
    public Task<LeaseGrant> RequestAsync(string holder, ResourceSet request, Runtime.Wire.Placement placement, GpuMemoryRequest? gpuMemory, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var infeasible = InfeasibleReasonLocked(request, placement) ?? GpuMemoryInfeasibleLocked(request, placement, gpuMemory);
            if (infeasible is not null)
            {
                return Task.FromException<LeaseGrant>(infeasible);
            }

            var grant = TryGrantLocked(holder, request, placement, gpuMemory);
            if (grant is not null)
            {
                return Task.FromResult(grant);
            }

            var pending = new PendingLease(holder, request, placement, new TaskCompletionSource<LeaseGrant>(TaskCreationOptions.RunContinuationsAsynchronously)) { GpuMemory = gpuMemory };
            var entry = _pending.AddLast(pending);
            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() =>
                {
                    lock (_gate)
                    {
                        if (entry.List is not null)
                        {
                            _pending.Remove(entry);
                        }
                    }

                    pending.Completion.TrySetCanceled(cancellationToken);
                });
                pending.Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            }

            return pending.Completion.Task;
        }
    }

    public void Return(string leaseId)
    {
        List<Action> completions = [];
        lock (_gate)
        {
            if (!_leases.Remove(leaseId, out var lease))
            {
                return;
            }

            FreeLocked(lease);
            RetryPendingLocked(completions);
        }

        Run(completions);
    }

    /// <summary>The holder (a job) is gone: its leases and placement groups are freed and its waiting requests dropped. Returns the removed groups' ids.</summary>
    public IReadOnlyList<string> ReleaseJob(string holder)
    {
        List<Action> completions = [];
        List<string> removedGroups = [];
        lock (_gate)
        {
            foreach (var lease in _leases.Values.Where(l => l.Holder == holder).ToList())
            {
                _leases.Remove(lease.Id);
                FreeLocked(lease);
            }

            for (var entry = _pending.First; entry is not null;)
            {
                var next = entry.Next;
                if (entry.Value.Holder == holder)
                {
                    var dropped = entry.Value;
                    completions.Add(() => dropped.Completion.TrySetCanceled());
                    _pending.Remove(entry);
                }

                entry = next;
            }

            foreach (var group in _groups.Values.Where(g => g.Spec.JobId == holder && !g.Removed).ToList())
            {
                RemoveGroupLocked(group, completions);
                removedGroups.Add(group.Id);
            }

            RetryPendingLocked(completions);
        }

        Run(completions);
        return removedGroups;
    }

    private static void Run(List<Action> completions)
    {
        foreach (var complete in completions)
        {
            complete();
        }
    }

    private LeaseGrant? TryGrantLocked(string holder, ResourceSet request, Runtime.Wire.Placement placement, GpuMemoryRequest? gpuMemory = null)
    {
        if (gpuMemory is not null)
        {
            return TryGrantGpuMemoryLocked(holder, request, placement, gpuMemory);
        }

        if (placement.PlacementGroupId.Length > 0)
        {
            return TryGrantInGroupLocked(holder, request, placement);
        }

        var director = _directors.For(placement.Kind);
        var fitting = director.Eligible(_nodes, placement).Where(n => n.Schedulable && FitsNow(n, request)).ToList();
        if (fitting.Count == 0)
        {
            return null;
        }

        var node = director.Choose(fitting, placement);
        var gpuIds = AllocateGpus(node.Gpus, request) ?? [];
        node.Available.Subtract(request);
        return RecordLeaseLocked(holder, node, request, gpuIds, bundle: null);
    }

    private LeaseGrant RecordLeaseLocked(string holder, NodeRecord node, ResourceSet request, int[] gpuIds, BundleState? bundle, GpuMemoryGrant? gpuMemory = null)
    {
        // The epoch keeps lease ids unique across head restarts, when reservations are restored from Redis.
        var id = $"lease-{_epoch}-{Interlocked.Increment(ref _nextLease)}";
        _leases[id] = new LeaseState(id, holder, node, request, gpuIds, bundle) { GpuMemory = gpuMemory };
        var grant = new LeaseGrant { LeaseId = id, NodeId = node.NodeId, Address = node.Address, Spare = bundle is null ? SpareLocked(request) : 0 };
        grant.GpuIds.AddRange(gpuIds);
        return grant;
    }

    private void FreeLocked(LeaseState lease)
    {
        GpuLeaseEndedLocked(lease);
        if (lease.Bundle is { } bundle)
        {
            bundle.ActiveLeases--;
            ReturnToBundleLocked(bundle, lease);
            return;
        }

        if (lease.Node.State != NodeState.Dead)
        {
            lease.Node.Available.Add(lease.Amount);
            if (lease.GpuIds.Length > 0)
            {
                lease.Node.Gpus.Release(lease.GpuIds, lease.Amount[ResourceSet.Gpu]);
            }
        }
    }

    private void DropLeasesOnLocked(NodeRecord node)
    {
        foreach (var lease in _leases.Values.Where(l => l.Node == node).ToList())
        {
            _leases.Remove(lease.Id);
            GpuLeaseEndedLocked(lease);
        }

        foreach (var group in _groups.Values)
        {
            foreach (var bundle in group.Bundles.Where(b => b.Node == node))
            {
                bundle.Unplace();
                _displacedGroups.Add(group);
            }
        }
    }

    private static bool FitsNow(NodeRecord node, ResourceSet request)
    {
        if (!node.Available.Fits(request))
        {
            return false;
        }

        var gpus = request[ResourceSet.Gpu];
        if (gpus <= 0)
        {
            return true;
        }

        var probe = node.Gpus.TryAllocate(gpus);
        if (probe is null)
        {
            return false;
        }

        node.Gpus.Release(probe, gpus);
        return true;
    }

    private static int[]? AllocateGpus(Runtime.Gpus.GpuAllocator allocator, ResourceSet request)
    {
        var gpus = request[ResourceSet.Gpu];
        return gpus > 0 ? allocator.TryAllocate(gpus) : [];
    }

    private void RetryPendingLocked(List<Action> completions)
    {
        RetryPendingGroupsLocked(completions);
        for (var entry = _pending.First; entry is not null;)
        {
            var next = entry.Next;
            var pending = entry.Value;
            var grant = TryGrantLocked(pending.Holder, pending.Request, pending.Placement, pending.GpuMemory);
            if (grant is not null)
            {
                _pending.Remove(entry);
                completions.Add(() =>
                {
                    if (!pending.Completion.TrySetResult(grant))
                    {
                        Return(grant.LeaseId);
                    }
                });
            }

            entry = next;
        }
    }

    private void FailUnplaceablePendingLocked(List<Action> completions)
    {
        for (var entry = _pending.First; entry is not null;)
        {
            var next = entry.Next;
            var pending = entry.Value;
            var reason = InfeasibleReasonLocked(pending.Request, pending.Placement) ?? GpuMemoryInfeasibleLocked(pending.Request, pending.Placement, pending.GpuMemory);
            if (reason is not null)
            {
                _pending.Remove(entry);
                completions.Add(() => pending.Completion.TrySetException(reason));
            }

            entry = next;
        }
    }

    /// <summary>How many more copies of <paramref name="request"/> fit on schedulable nodes now, capped at 64.</summary>
    private int SpareLocked(ResourceSet request)
    {
        const int cap = 64;
        var spare = 0;
        foreach (var node in _nodes.Where(n => n.Schedulable))
        {
            var fits = cap;
            foreach (var (name, amount) in request.Amounts)
            {
                fits = Math.Min(fits, (int)Math.Floor((node.Available[name] + 1e-6) / amount));
            }

            spare += fits;
            if (spare >= cap)
            {
                return cap;
            }
        }

        return spare;
    }

    private Exception? InfeasibleReasonLocked(ResourceSet request, Runtime.Wire.Placement placement)
    {
        if (placement.PlacementGroupId.Length > 0)
        {
            return GroupInfeasibleReasonLocked(request, placement);
        }

        var present = _nodes.Where(n => n.Present).ToList();
        if (present.Count == 0 || (present.All(n => n.IsHead) && Environment.TickCount64 < _workerGraceUntil))
        {
            return null;
        }

        var director = _directors.For(placement.Kind);
        var eligible = director.Eligible(present, placement).ToList();
        if (eligible.Count == 0)
        {
            return new InfeasibleResourcesException($"Request {request} can never be scheduled: {director.NoEligibleReason(placement)}.");
        }

        if (eligible.Any(n => n.Total.Fits(request) && n.Gpus.CanEverFit(request[ResourceSet.Gpu])))
        {
            return null;
        }

        var largest = eligible.OrderByDescending(n => Largeness(n, request)).First();
        var shortage = largest.Total.FirstShortage(request) ?? ResourceSet.Gpu;
        return new InfeasibleResourcesException(
            $"Request {request} can never be scheduled: no live node has enough {shortage} (asked {request[shortage]:0.####}; the largest node, {largest.NodeId}, offers {largest.Total}). Ask for less, or start a node that has it.");
    }

    /// <summary>Ranks nodes by how much of the short resources they offer, so the message names the closest one.</summary>
    private static double Largeness(NodeRecord node, ResourceSet request) =>
        request.Amounts.Keys.Sum(name => Math.Min(1, node.Total[name] / request[name]));
}
