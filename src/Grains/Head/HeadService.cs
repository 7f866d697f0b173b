using Granary.Grains.Head.Persistence;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Serialization;
using Granary.Runtime.Grains;
using Orleans.Runtime;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Head;

/// <summary>
/// The control plane's state, on the head silo: the nodes Orleans membership admitted (with their resources
/// and load), resources (leases, placement groups), jobs and their code, and the actor directory. The head
/// grain (<see cref="HeadGrain"/>) is its entry point for clients and silos. Thread-safe (each part guards
/// its own state).
/// </summary>
internal sealed partial class HeadService : IAsyncDisposable
{
    private readonly SiloRuntime _silo;
    private readonly ILogger _logger;
    private readonly Dictionary<string, JobSession> _jobs = new(StringComparer.Ordinal);
    private readonly Timer _monitor;
    private readonly IHeadStore _store;
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeadService(SiloRuntime silo, IHeadStore store)
    {
        _silo = silo;
        _store = store;
        _logger = silo.LoggerFactory.CreateLogger("Granary.Head");
        Scheduler = new ResourceScheduler(workerGrace: (2 * silo.Options.NodeDeadTimeout) + TimeSpan.FromSeconds(5)) { GpuMemoryMargin = silo.Options.GpuMemoryMargin };
        Catalog = new JobCatalog(silo.Blobs, store);
        Actors = new ActorDirectory(silo, Scheduler, store);
        Submissions = new Submissions.SubmittedJobs(silo, Scheduler);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(silo.Options.NodeDeadTimeout.TotalMilliseconds / 8, 50, 1000));
        _monitor = new Timer(_ => CheckSessions(), null, period, period);
    }

    public string ClusterId { get; private set; } = "cluster-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Loads what a previous head left in the store: nodes come back suspect (alive again once they
    /// heartbeat), actors and placement groups with their reservations, jobs with their code. Owned actors
    /// whose client does not reconnect within the node timeout die with their job.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RestoreCoreAsync(cancellationToken).ConfigureAwait(false);
            _restored.TrySetResult();
        }
        catch (Exception ex)
        {
            _restored.TrySetException(ex);
            throw;
        }
    }

    private async Task RestoreCoreAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (snapshot.ClusterId is { } clusterId)
        {
            ClusterId = clusterId;
        }
        else
        {
            await _store.SaveClusterIdAsync(ClusterId, cancellationToken).ConfigureAwait(false);
        }

        foreach (var node in snapshot.Nodes.Where(n => !n.IsHead && n.NodeId != _silo.NodeId))
        {
            Scheduler.RestoreNode(node);
        }

        Catalog.Restore(snapshot.Jobs, snapshot.Blobs);
        foreach (var group in snapshot.Groups)
        {
            Scheduler.RestoreGroup(group);
        }

        foreach (var actor in snapshot.Actors)
        {
            Actors.Restore(actor);
        }

        if (_store.IsPersistent)
        {
            LogRestored(snapshot.Nodes.Count, snapshot.Actors.Count, snapshot.Groups.Count, snapshot.Jobs.Count);
            _ = EndAbandonedJobsAsync(Actors.JobsWithOwnedActors());
        }
    }

    private async Task EndAbandonedJobsAsync(IReadOnlyList<string> jobs)
    {
        await Task.Delay(_silo.Options.NodeDeadTimeout, _silo.Stopping).ConfigureAwait(false);
        foreach (var job in jobs)
        {
            bool back;
            lock (_jobs)
            {
                back = _jobs.ContainsKey(job);
            }

            if (!back)
            {
                LogJobEnded(job);
                await EndJobAsync(job).ConfigureAwait(false);
            }
        }
    }

    public ResourceScheduler Scheduler { get; }

    public JobCatalog Catalog { get; }

    public ActorDirectory Actors { get; }

    /// <summary>Jobs run by `granary submit`: their drivers, states and output.</summary>
    public Submissions.SubmittedJobs Submissions { get; }

    /// <summary>Multi-rank launches: their gatherings and completion markers.</summary>
    public LaunchRendezvous Launches { get; } = new();

    /// <summary>
    /// Until the store is loaded the head cannot tell known nodes from strangers; answering early would make
    /// a surviving worker drop its actors as if the head had forgotten it. Every call waits for it.
    /// </summary>
    public Task Restored => _restored.Task.IsCompletedSuccessfully ? Task.CompletedTask : _restored.Task.WaitAsync(_silo.Stopping);

    public ClusterConfig ClusterConfig() => new()
    {
        ClusterId = ClusterId,
        ServiceId = _silo.Options.ServiceId,
        PrimarySiloEndpoint = _silo.SiloEndpoint,
        Redis = _silo.Options.RedisAddress ?? string.Empty,
        HeadNodeId = _silo.NodeId,
        NodeDeadTimeoutMs = (long)_silo.Options.NodeDeadTimeout.TotalMilliseconds,
        HeadGeneration = _silo.Generation,
    };

    public async Task<ClusterView> RegisterAsync(NodeInfo node, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        if (Scheduler.Node(node.NodeId) is { State: not NodeState.Dead })
        {
            // The node restarted (or was reset) under the same id: what ran there before is gone.
            Actors.NodeDied(node.NodeId, "its node registered again (it restarted)");
        }

        Scheduler.AddNode(node);
        LogNodeJoined(node.NodeId, node.Address);
        await _store.SaveNodeAsync(Scheduler.Node(node.NodeId) ?? node, cancellationToken).ConfigureAwait(false);
        return View();
    }

    public async Task<HeartbeatReply> HeartbeatAsync(Heartbeat heartbeat)
    {
        await Restored.ConfigureAwait(false);
        return new HeartbeatReply { Known = Scheduler.Heartbeat(heartbeat) };
    }

    public async Task DrainAsync(string nodeId)
    {
        await Restored.ConfigureAwait(false);
        Scheduler.Drain(nodeId);
        LogDraining(nodeId);
    }

    public async Task DeregisterAsync(string nodeId)
    {
        await Restored.ConfigureAwait(false);
        DeclareDead(nodeId, "it left the cluster (stopped)");
    }

    public ClusterView View()
    {
        var view = new ClusterView { HeadNodeId = _silo.NodeId };
        view.Nodes.AddRange(Scheduler.Nodes());
        return view;
    }

    public StatusReport Status()
    {
        var report = new StatusReport
        {
            View = View(),
            Leases = Scheduler.LeaseCount,
            PendingLeaseRequests = Scheduler.PendingCount,
            ClusterId = ClusterId,
            Persistent = _store.IsPersistent,
        };
        report.Actors.AddRange(Actors.List().Actors);
        report.PlacementGroups.AddRange(Scheduler.Groups());
        report.GpuProfiles.AddRange(Scheduler.GpuProfilesSnapshot());
        report.GpuReservations.AddRange(Scheduler.GpuReservations());
        var now = Environment.TickCount64;
        lock (_jobs)
        {
            report.Jobs.AddRange(_jobs.OrderBy(j => j.Value.StartedUnixMs).Select(j => new JobInfo { JobId = j.Key, StartedUnixMs = j.Value.StartedUnixMs, LastSeenMsAgo = now - j.Value.LastSeen }));
        }

        return report;
    }

    /// <summary>A client started its job, or keeps it alive (it calls again every keep-alive interval).</summary>
    public void JobConnected(string jobId, IJobObserver observer)
    {
        bool added;
        lock (_jobs)
        {
            // A keep-alive keeps the time the head first heard of the job.
            added = !_jobs.TryGetValue(jobId, out var known);
            _jobs[jobId] = new JobSession(observer, Environment.TickCount64, known?.StartedUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }

        if (added)
        {
            LogJobStarted(jobId);
        }
    }

    /// <summary>The client said goodbye: its job is over. Free what it held and tell every node.</summary>
    public async Task JobFinishedAsync(string jobId)
    {
        lock (_jobs)
        {
            if (!_jobs.Remove(jobId))
            {
                return;
            }
        }

        LogJobEnded(jobId);
        Launches.JobFinished(jobId);
        await EndJobAsync(jobId).ConfigureAwait(false);
    }

    public async Task<MissingAssemblies> RegisterJobCodeAsync(RegisterJobCode request, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        return await Catalog.RegisterAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task UploadAsync(UploadAssembly upload, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        await Catalog.UploadAsync(upload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobManifest> ManifestAsync(string jobId)
    {
        await Restored.ConfigureAwait(false);
        return Catalog.Manifest(jobId);
    }

    public async Task<AssemblyBlob> FetchAsync(string hash)
    {
        await Restored.ConfigureAwait(false);
        return Catalog.Fetch(hash);
    }

    public async Task<LeaseGrant> GrantAsync(RequestLease request, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silo.Stopping);
        return await Scheduler.RequestAsync(request.JobId, ResourceSet.FromWire(request.Request.Amounts), request.Request.Placement ?? new Runtime.Wire.Placement(), request.Request.GpuMemory, linked.Token).ConfigureAwait(false);
    }

    public void ReportGpuUse(GpuUseReport report) => Scheduler.ReportGpuUse(report);

    public void ReturnLease(string leaseId) => Scheduler.Return(leaseId);

    public async Task<PlacementGroupInfo> CreateGroupAsync(CreatePlacementGroup spec, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silo.Stopping);
        var info = await Scheduler.CreateGroupAsync(spec, linked.Token).ConfigureAwait(false);
        await _store.SaveGroupAsync(new PersistedGroup { Spec = spec, Info = info }, _silo.Stopping).ConfigureAwait(false);
        return info;
    }

    public async Task RemoveGroupAsync(string groupId)
    {
        await Restored.ConfigureAwait(false);
        await Actors.KillGroupAsync(groupId, _silo.Stopping).ConfigureAwait(false);
        if (Scheduler.RemoveGroup(groupId) is { } removed)
        {
            // As in Ray, removing a group stops the tasks in it; each lease returns (and frees its bundle's
            // share) only once its running task has stopped.
            var error = ErrorConverter.FromException(removed.Error, _silo.NodeId, string.Empty);
            await Task.WhenAll(removed.Leases.Select(lease => StopLeaseAsync(lease.LeaseId, lease.NodeId, error))).ConfigureAwait(false);
        }

        await _store.RemoveGroupAsync(groupId, _silo.Stopping).ConfigureAwait(false);
    }

    private async Task StopLeaseAsync(string leaseId, string nodeId, ErrorInfo error)
    {
        try
        {
            await _silo.Node(nodeId).StopLease(new StopLease { LeaseId = leaseId, Error = error }, _silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A dead node's leases go with it.
            LogStopLeaseFailed(nodeId, leaseId, ex.Message);
        }
    }

    public async Task<ActorInfo> CreateActorAsync(ActorSpec spec, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        if (spec.Namespace.Length == 0)
        {
            // From an in-cluster client: the job's own namespace, which its driver registered.
            spec.Namespace = Catalog.NamespaceOf(spec.JobId);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silo.Stopping);
        return await Actors.CreateAsync(spec, linked.Token).ConfigureAwait(false);
    }

    /// <summary>The named actor in the caller's namespace: <paramref name="ns"/>, or its job's when empty (an in-cluster client).</summary>
    public async Task<ActorInfo> GetNamedAsync(string name, string ns, string jobId)
    {
        await Restored.ConfigureAwait(false);
        return await Actors.GetNamedAsync(ns.Length > 0 ? ns : Catalog.NamespaceOf(jobId), name).ConfigureAwait(false);
    }

    /// <summary>How long the head holds a client that asks where a restarting actor went: long enough for a node to be declared dead and the actor placed again.</summary>
    private TimeSpan ActorAwaitBound => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(20).Ticks, 3 * _silo.Options.NodeDeadTimeout.Ticks));

    public async Task<ActorInfo> AwaitActorAsync(ActorLookup lookup, CancellationToken cancellationToken)
    {
        await Restored.ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silo.Stopping);
        return await Actors.AwaitAsync(lookup, ActorAwaitBound, linked.Token).ConfigureAwait(false);
    }

    /// <summary>Kills an actor of the caller's namespace; one of another namespace is refused, naming both.</summary>
    public async Task KillAsync(string actorId, string ns, string jobId)
    {
        await Restored.ConfigureAwait(false);
        var callers = ns.Length > 0 ? ns : Catalog.NamespaceOf(jobId);
        // An id not recorded yet is its creator's to kill early (MapBatches does, for creations it cancelled),
        // whatever the namespace: the creation then ends in the actor's death (ActorDirectory.KillAsync).
        var actors = Actors.NamespaceOf(actorId);
        if (actors is not null && actors != callers)
        {
            throw new GranaryException($"Actor {actorId} belongs to namespace '{actors}'; this job is in namespace '{callers}' and may kill only its own namespace's actors. Kill it from a job with ClientOptions.Namespace = \"{actors}\".");
        }

        await Actors.KillAsync(actorId, "killed by request", _silo.Stopping).ConfigureAwait(false);
    }

    public async Task<ActorList> ListActorsAsync()
    {
        await Restored.ConfigureAwait(false);
        return Actors.List();
    }

    public async ValueTask DisposeAsync()
    {
        await _monitor.DisposeAsync().ConfigureAwait(false);
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Follows Orleans membership: a node whose silo Orleans declared dead is dead here too, at once, and
    /// every client is told so work in flight there fails or retries. Runs until the silo stops.
    /// </summary>
    public async Task FollowMembershipAsync(IClusterMembershipService membership)
    {
        try
        {
            await Restored.ConfigureAwait(false);
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_silo.Stopping).ConfigureAwait(false))
            {
                OnMembership(snapshot);
            }
        }
        catch (OperationCanceledException) when (_silo.Stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    private void OnMembership(ClusterMembershipSnapshot snapshot)
    {
        foreach (var node in Scheduler.Nodes())
        {
            if (node.IsHead || node.State == NodeState.Dead)
            {
                continue;
            }

            // The newest silo that carries the node's name decides: a node restarted under the same id is a new silo.
            ClusterMember? newest = null;
            foreach (var member in snapshot.Members.Values)
            {
                if (member.Name == node.NodeId && (newest is null || member.SiloAddress.Generation > newest.SiloAddress.Generation))
                {
                    newest = member;
                }
            }

            // A silo that is stopping or shutting down takes no work and finishes none that is still in
            // flight: Granary drained it already if the stop was graceful. So leaving counts as dead here.
            if (newest?.Status is SiloStatus.Dead or SiloStatus.Stopping or SiloStatus.ShuttingDown)
            {
                DeclareDead(node.NodeId, newest.Status == SiloStatus.Dead ? "Orleans membership declared its silo dead" : $"its silo is {newest.Status.ToString().ToLowerInvariant()}");
            }
        }
    }

    /// <summary>
    /// Every few hundred milliseconds: jobs whose client stopped keeping them alive end (the client process
    /// died, or lost the cluster for longer than the grace period), and nodes restored from the store that
    /// never came back are declared dead.
    /// </summary>
    private void CheckSessions()
    {
        var now = Environment.TickCount64;
        var grace = (long)JobGrace.TotalMilliseconds;
        List<string> lost = [];
        lock (_jobs)
        {
            foreach (var (jobId, session) in _jobs)
            {
                if (now - session.LastSeen > grace)
                {
                    lost.Add(jobId);
                }
            }

            foreach (var jobId in lost)
            {
                _jobs.Remove(jobId);
            }
        }

        foreach (var jobId in lost)
        {
            LogJobEnded(jobId);
            _ = EndJobAsync(jobId);
        }

        foreach (var node in Scheduler.Overdue(_silo.Options.NodeDeadTimeout))
        {
            if (node.State == NodeState.Suspect)
            {
                DeclareDead(node.NodeId, $"it did not come back within {_silo.Options.NodeDeadTimeout.TotalSeconds:0.#} s of the head's restart");
            }
        }
    }

    /// <summary>How long a job lives without its client's keep-alive: the node timeout, and never less than three keep-alives.</summary>
    private TimeSpan JobGrace => TimeSpan.FromTicks(Math.Max(_silo.Options.NodeDeadTimeout.Ticks, 3 * _silo.Options.JobKeepAliveInterval.Ticks));

    /// <summary>Marks the node dead, its actors dead, and tells every client so work in flight there is retried or failed.</summary>
    private void DeclareDead(string nodeId, string reason)
    {
        var node = Scheduler.Nodes().FirstOrDefault(n => n.NodeId == nodeId);
        if (node is null || !Scheduler.MarkDead(nodeId, reason))
        {
            return;
        }

        LogNodeDied(nodeId, reason);
        Actors.NodeDied(nodeId, reason);
        Submissions.NodeDied(nodeId, reason);
        if (Scheduler.Node(nodeId) is { } dead)
        {
            _ = _store.SaveNodeAsync(dead, CancellationToken.None);
        }

        var notice = new NodeDied { NodeId = nodeId, Address = node.Address, Reason = reason };
        List<IJobObserver> clients;
        lock (_jobs)
        {
            clients = [.. _jobs.Values.Select(j => j.Observer)];
        }

        foreach (var client in clients)
        {
            _ = NotifyAsync(client, notice);
        }
    }

    private async Task NotifyAsync(IJobObserver client, NodeDied notice)
    {
        try
        {
            await client.NodeDied(notice).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogNotifyClientFailed(notice.NodeId, ex.Message);
        }
    }

    private async Task EndJobAsync(string jobId)
    {
        foreach (var groupId in Scheduler.ReleaseJob(jobId))
        {
            await _store.RemoveGroupAsync(groupId, _silo.Stopping).ConfigureAwait(false);
        }

        await Actors.JobEndedAsync(jobId, _silo.Stopping).ConfigureAwait(false);
        foreach (var node in Scheduler.Nodes().Where(n => n.State != NodeState.Dead))
        {
            try
            {
                await _silo.Node(node.NodeId).JobEnded(jobId, _silo.Stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogNotifyFailed(node.NodeId, jobId, ex.Message);
            }
        }
    }

    private sealed record JobSession(IJobObserver Observer, long LastSeen, long StartedUnixMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored from the store: {Nodes} nodes, {Actors} actors, {Groups} placement groups, {Jobs} jobs")]
    private partial void LogRestored(int nodes, int actors, int groups, int jobs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} joined at {Address}")]
    private partial void LogNodeJoined(string nodeId, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} is dead: {Reason}")]
    private partial void LogNodeDied(string nodeId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} is draining")]
    private partial void LogDraining(string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} connected")]
    private partial void LogJobStarted(string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ended")]
    private partial void LogJobEnded(string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell a client that node {NodeId} died: {Reason}")]
    private partial void LogNotifyClientFailed(string nodeId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell node {NodeId} that job {JobId} ended: {Reason}")]
    private partial void LogNotifyFailed(string nodeId, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop lease {LeaseId} on node {NodeId} for a removed placement group: {Reason}")]
    private partial void LogStopLeaseFailed(string nodeId, string leaseId, string reason);
}
