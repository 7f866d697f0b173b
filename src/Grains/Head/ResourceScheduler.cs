using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's view of every node's resources and the leases carved out of them. It never oversubscribes:
/// a request that fits no node now waits (FIFO) until a lease returns; one that could never fit any live
/// node fails at once, naming the short resource and the largest offer (Ray's "infeasible" vs "wait").
/// Thread-safe: all state is guarded by one lock, and waiters are completed outside it.
/// </summary>
internal sealed class ResourceScheduler
{
    private readonly object _gate = new();
    private readonly List<NodeState> _nodes = [];
    private readonly Dictionary<string, LeaseState> _leases = new(StringComparer.Ordinal);
    private readonly LinkedList<PendingLease> _pending = new();
    private long _nextLease;

    public void AddNode(NodeInfo info)
    {
        List<(PendingLease, LeaseGrant)> granted;
        lock (_gate)
        {
            _nodes.RemoveAll(n => n.Info.NodeId == info.NodeId);
            var total = ResourceSet.FromWire(info.Total);
            _nodes.Add(new NodeState(info.Clone(), total, total.Clone()));
            granted = GrantPendingLocked();
        }

        Complete(granted);
    }

    public IReadOnlyList<NodeInfo> Nodes()
    {
        lock (_gate)
        {
            return _nodes.Select(n =>
            {
                var info = n.Info.Clone();
                info.Available = n.Available.ToWire();
                return info;
            }).ToList();
        }
    }

    /// <summary>Reserves <paramref name="request"/> on a node; completes when granted, fails at once when infeasible.</summary>
    public Task<LeaseGrant> RequestAsync(string jobId, ResourceSet request, Placement placement, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var infeasible = InfeasibleReasonLocked(request);
            if (infeasible is not null)
            {
                return Task.FromException<LeaseGrant>(new InfeasibleResourcesException(infeasible));
            }

            var node = ChooseLocked(request, placement);
            if (node is not null)
            {
                return Task.FromResult(GrantLocked(jobId, node, request));
            }

            var pending = new PendingLease(jobId, request, placement, new TaskCompletionSource<LeaseGrant>(TaskCreationOptions.RunContinuationsAsynchronously));
            var entry = _pending.AddLast(pending);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
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
            }

            return pending.Completion.Task;
        }
    }

    public void Return(string leaseId)
    {
        List<(PendingLease, LeaseGrant)> granted;
        lock (_gate)
        {
            if (!_leases.Remove(leaseId, out var lease))
            {
                return;
            }

            _nodes.Find(n => n.Info.NodeId == lease.NodeId)?.Available.Add(lease.Amount);
            granted = GrantPendingLocked();
        }

        Complete(granted);
    }

    /// <summary>The job is gone: its leases' resources are free again and its waiting requests are dropped.</summary>
    public void ReleaseJob(string jobId)
    {
        List<PendingLease> dropped = [];
        List<(PendingLease, LeaseGrant)> granted;
        lock (_gate)
        {
            foreach (var lease in _leases.Values.Where(l => l.JobId == jobId).ToList())
            {
                _leases.Remove(lease.Id);
                _nodes.Find(n => n.Info.NodeId == lease.NodeId)?.Available.Add(lease.Amount);
            }

            for (var entry = _pending.First; entry is not null;)
            {
                var next = entry.Next;
                if (entry.Value.JobId == jobId)
                {
                    dropped.Add(entry.Value);
                    _pending.Remove(entry);
                }

                entry = next;
            }

            granted = GrantPendingLocked();
        }

        foreach (var pending in dropped)
        {
            pending.Completion.TrySetCanceled();
        }

        Complete(granted);
    }

    private static void Complete(List<(PendingLease Pending, LeaseGrant Grant)> granted)
    {
        foreach (var (pending, grant) in granted)
        {
            pending.Completion.TrySetResult(grant);
        }
    }

    private List<(PendingLease, LeaseGrant)> GrantPendingLocked()
    {
        List<(PendingLease, LeaseGrant)> granted = [];
        for (var entry = _pending.First; entry is not null;)
        {
            var next = entry.Next;
            var node = ChooseLocked(entry.Value.Request, entry.Value.Placement);
            if (node is not null)
            {
                _pending.Remove(entry);
                granted.Add((entry.Value, GrantLocked(entry.Value.JobId, node, entry.Value.Request)));
            }

            entry = next;
        }

        return granted;
    }

    private LeaseGrant GrantLocked(string jobId, NodeState node, ResourceSet request)
    {
        var id = "lease-" + Interlocked.Increment(ref _nextLease);
        node.Available.Subtract(request);
        _leases[id] = new LeaseState(id, jobId, node.Info.NodeId, request);
        return new LeaseGrant { LeaseId = id, NodeId = node.Info.NodeId, Address = node.Info.Address, Spare = SpareLocked(request) };
    }

    /// <summary>How many more copies of <paramref name="request"/> fit on live nodes now, capped at 64.</summary>
    private int SpareLocked(ResourceSet request)
    {
        const int cap = 64;
        var spare = 0;
        foreach (var node in _nodes)
        {
            if (!node.Info.Alive)
            {
                continue;
            }

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

    /// <summary>Pack: the busiest node that still fits, so work fills one node before spilling to the next; the head last.</summary>
    private NodeState? ChooseLocked(ResourceSet request, Placement placement)
    {
        NodeState? best = null;
        var bestScore = double.MinValue;
        foreach (var node in _nodes)
        {
            if (!node.Info.Alive || !node.Available.Fits(request))
            {
                continue;
            }

            var score = node.Available.Utilization(node.Total) - (node.Info.IsHead ? 10 : 0);
            if (score > bestScore)
            {
                best = node;
                bestScore = score;
            }
        }

        return best;
    }

    private string? InfeasibleReasonLocked(ResourceSet request)
    {
        var alive = _nodes.Where(n => n.Info.Alive).ToList();
        if (alive.Count == 0)
        {
            return null;
        }

        if (alive.Any(n => n.Total.Fits(request)))
        {
            return null;
        }

        var largest = alive.OrderByDescending(n => n.Total.Amounts.Values.Sum()).First();
        var shortage = largest.Total.FirstShortage(request)!;
        return $"Request {request} can never be scheduled: no live node has enough {shortage} (asked {request[shortage]:0.####}, the largest node {largest.Info.NodeId} offers {largest.Total}). Ask for less, or start a node that has it.";
    }

    private sealed record NodeState(NodeInfo Info, ResourceSet Total, ResourceSet Available);

    private sealed record LeaseState(string Id, string JobId, string NodeId, ResourceSet Amount);

    private sealed record PendingLease(string JobId, ResourceSet Request, Placement Placement, TaskCompletionSource<LeaseGrant> Completion);
}
