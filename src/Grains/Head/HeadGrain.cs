using Granary.Grains.Head.Persistence;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Head;

/// <summary>
/// The control plane, on the head silo: membership (registration, heartbeats, failure detection),
/// resources (leases, placement groups), jobs and their code, and the actor directory. Clients and silos
/// reach it with the same messages whether in process or remote. Thread-safe (each part guards its own state).
/// </summary>
internal sealed partial class HeadGrain : IAsyncDisposable
{
    private readonly SiloRuntime _silo;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Connection> _jobs = new(StringComparer.Ordinal);
    private readonly Timer _monitor;
    private readonly IHeadStore _store;
    private readonly TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeadGrain(SiloRuntime silo, IHeadStore store)
    {
        _silo = silo;
        _store = store;
        _logger = silo.LoggerFactory.CreateLogger("Granary.Head");
        Scheduler = new ResourceScheduler();
        Catalog = new JobCatalog(silo.Blobs, store);
        Actors = new ActorDirectory(silo, Scheduler, store);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(silo.Options.NodeDeadTimeout.TotalMilliseconds / 8, 50, 1000));
        _monitor = new Timer(_ => DeclareOverdueNodesDead(), null, period, period);
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

    private async Task<Envelope?> HandleWhenRestoredAsync(Connection? from, Envelope message)
    {
        await _restored.Task.WaitAsync(_silo.Stopping).ConfigureAwait(false);
        return await HandleAsync(from, message).ConfigureAwait(false);
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

    public ValueTask<Envelope?> HandleAsync(Connection? from, Envelope message)
    {
        // Until the store is loaded the head cannot tell known nodes from strangers; answering early would
        // make a surviving worker drop its actors as if the head had forgotten it.
        if (!_restored.Task.IsCompleted)
        {
            return new ValueTask<Envelope?>(HandleWhenRestoredAsync(from, message));
        }

        try
        {
            switch (message.BodyCase)
            {
                case Envelope.BodyOneofCase.RegisterNode:
                    return RegisterAsync(message.RegisterNode.Node);
                case Envelope.BodyOneofCase.Heartbeat:
                    return Reply(new Envelope { HeartbeatReply = new HeartbeatReply { Known = Scheduler.Heartbeat(message.Heartbeat) } });
                case Envelope.BodyOneofCase.Drain:
                    Scheduler.Drain(message.Drain.NodeId);
                    LogDraining(message.Drain.NodeId);
                    return Reply(null);
                case Envelope.BodyOneofCase.Deregister:
                    DeclareDead(message.Deregister.NodeId, "it left the cluster (stopped)");
                    return Reply(null);
                case Envelope.BodyOneofCase.GetClusterView:
                    return Reply(new Envelope { ClusterView = View() });
                case Envelope.BodyOneofCase.GetStatus:
                    return Reply(new Envelope { StatusReport = Status() });
                case Envelope.BodyOneofCase.RegisterJobCode:
                    return RegisterJobCodeAsync(message.RegisterJobCode);
                case Envelope.BodyOneofCase.UploadAssembly:
                    return UploadAsync(message.UploadAssembly);
                case Envelope.BodyOneofCase.GetJobManifest:
                    return Reply(new Envelope { JobManifest = Catalog.Manifest(message.GetJobManifest.JobId) });
                case Envelope.BodyOneofCase.FetchAssembly:
                    return Reply(new Envelope { AssemblyBlob = Catalog.Fetch(message.FetchAssembly.Hash) });
                case Envelope.BodyOneofCase.RequestLease:
                    return GrantAsync(message.RequestLease);
                case Envelope.BodyOneofCase.ReturnLease:
                    Scheduler.Return(message.ReturnLease.LeaseId);
                    return Reply(null);
                case Envelope.BodyOneofCase.CreatePlacementGroup:
                    return CreateGroupAsync(message.CreatePlacementGroup);
                case Envelope.BodyOneofCase.RemovePlacementGroup:
                    return RemoveGroupAsync(message.RemovePlacementGroup.GroupId);
                case Envelope.BodyOneofCase.CreateActor:
                    return CreateActorAsync(message.CreateActor.Spec);
                case Envelope.BodyOneofCase.GetNamedActor:
                    return GetNamedAsync(message.GetNamedActor.Name);
                case Envelope.BodyOneofCase.KillActor:
                    return KillAsync(message.KillActor.ActorId);
                case Envelope.BodyOneofCase.ListActors:
                    return Reply(new Envelope { ActorList = Actors.List() });
                default:
                    return Reply(new Envelope { Error = ErrorConverter.System($"the head does not handle {message.BodyCase}", _silo.NodeId) });
            }
        }
        catch (Exception ex)
        {
            return Reply(new Envelope { Error = ErrorConverter.FromException(ex, _silo.NodeId, message.BodyCase.ToString()) });
        }
    }

    public void JobConnected(string jobId, Connection connection)
    {
        lock (_jobs)
        {
            _jobs[jobId] = connection;
        }

        LogJobStarted(jobId);
    }

    /// <summary>The client said goodbye: its job is over. Free what it held and tell every node.</summary>
    public void JobFinished(string jobId)
    {
        lock (_jobs)
        {
            if (!_jobs.Remove(jobId))
            {
                return;
            }
        }

        LogJobEnded(jobId);
        _ = EndJobAsync(jobId);
    }

    /// <summary>
    /// The client's connection dropped without a goodbye: it may be a network blip or a head failover, so the
    /// job gets the node timeout to reconnect before it ends (its owned actors die then).
    /// </summary>
    public void JobDisconnected(string jobId, Connection connection)
    {
        lock (_jobs)
        {
            if (!_jobs.TryGetValue(jobId, out var current) || current != connection)
            {
                return;
            }
        }

        _ = EndUnlessBackAsync(jobId, connection);
    }

    private async Task EndUnlessBackAsync(string jobId, Connection lost)
    {
        try
        {
            await Task.Delay(_silo.Options.NodeDeadTimeout, _silo.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_jobs)
        {
            if (!_jobs.TryGetValue(jobId, out var current) || current != lost)
            {
                return;
            }

            _jobs.Remove(jobId);
        }

        LogJobEnded(jobId);
        await EndJobAsync(jobId).ConfigureAwait(false);
    }

    /// <summary>A silo's connection dropped: give it until the heartbeat timeout to come back.</summary>
    public void NodeConnectionLost(string nodeId) => Scheduler.MarkSuspect(nodeId);

    public async ValueTask DisposeAsync()
    {
        await _monitor.DisposeAsync().ConfigureAwait(false);
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void DeclareOverdueNodesDead()
    {
        foreach (var node in Scheduler.Overdue(_silo.Options.NodeDeadTimeout))
        {
            DeclareDead(node.NodeId, $"no heartbeat for {_silo.Options.NodeDeadTimeout.TotalSeconds:0.#} s");
        }
    }

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
        if (Scheduler.Node(nodeId) is { } dead)
        {
            _ = _store.SaveNodeAsync(dead, CancellationToken.None);
        }

        var notice = new Envelope { NodeDied = new NodeDied { NodeId = nodeId, Address = node.Address, Reason = reason } };
        List<Connection> clients;
        lock (_jobs)
        {
            clients = [.. _jobs.Values];
        }

        foreach (var client in clients)
        {
            client.Send(notice.Clone());
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
                await _silo.RequestNodeAsync(node.Address, new Envelope { JobEnded = new JobEnded { JobId = jobId } }, _silo.Stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogNotifyFailed(node.NodeId, jobId, ex.Message);
            }
        }
    }

    private async ValueTask<Envelope?> RegisterAsync(NodeInfo node)
    {
        if (Scheduler.Node(node.NodeId) is { State: not NodeState.Dead })
        {
            // The node restarted (or was reset) under the same id: what ran there before is gone.
            Actors.NodeDied(node.NodeId, "its node registered again (it restarted)");
        }

        Scheduler.AddNode(node);
        LogNodeJoined(node.NodeId, node.Address);
        await _store.SaveNodeAsync(Scheduler.Node(node.NodeId) ?? node, _silo.Stopping).ConfigureAwait(false);
        return new Envelope { ClusterView = View() };
    }

    private async ValueTask<Envelope?> RegisterJobCodeAsync(RegisterJobCode request) =>
        new Envelope { MissingAssemblies = await Catalog.RegisterAsync(request, _silo.Stopping).ConfigureAwait(false) };

    private async ValueTask<Envelope?> UploadAsync(UploadAssembly upload)
    {
        await Catalog.UploadAsync(upload, _silo.Stopping).ConfigureAwait(false);
        return null;
    }

    private ClusterView View()
    {
        var view = new ClusterView { HeadNodeId = _silo.NodeId };
        view.Nodes.AddRange(Scheduler.Nodes());
        return view;
    }

    private StatusReport Status()
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
        return report;
    }

    private async ValueTask<Envelope?> GrantAsync(RequestLease request)
    {
        try
        {
            var grant = await Scheduler.RequestAsync(request.JobId, ResourceSet.FromWire(request.Request.Amounts), request.Request.Placement ?? new Runtime.Wire.Placement(), _silo.Stopping).ConfigureAwait(false);
            return new Envelope { LeaseGrant = grant };
        }
        catch (Exception ex)
        {
            return new Envelope { Error = ErrorConverter.FromException(ex, _silo.NodeId, "lease request") };
        }
    }

    private async ValueTask<Envelope?> CreateGroupAsync(CreatePlacementGroup spec)
    {
        try
        {
            var info = await Scheduler.CreateGroupAsync(spec, _silo.Stopping).ConfigureAwait(false);
            await _store.SaveGroupAsync(new PersistedGroup { Spec = spec, Info = info }, _silo.Stopping).ConfigureAwait(false);
            return new Envelope { PlacementGroupInfo = info };
        }
        catch (Exception ex)
        {
            return new Envelope { Error = ErrorConverter.FromException(ex, _silo.NodeId, "placement group") };
        }
    }

    private async ValueTask<Envelope?> RemoveGroupAsync(string groupId)
    {
        await Actors.KillGroupAsync(groupId, _silo.Stopping).ConfigureAwait(false);
        Scheduler.RemoveGroup(groupId);
        await _store.RemoveGroupAsync(groupId, _silo.Stopping).ConfigureAwait(false);
        return null;
    }

    private async ValueTask<Envelope?> CreateActorAsync(ActorSpec spec)
    {
        try
        {
            return new Envelope { ActorInfo = await Actors.CreateAsync(spec, _silo.Stopping).ConfigureAwait(false) };
        }
        catch (Exception ex)
        {
            return new Envelope { Error = ErrorConverter.FromException(ex, _silo.NodeId, spec.Factory?.DisplayName ?? "actor creation") };
        }
    }

    private async ValueTask<Envelope?> GetNamedAsync(string name)
    {
        try
        {
            return new Envelope { ActorInfo = await Actors.GetNamedAsync(name).ConfigureAwait(false) };
        }
        catch (ActorNotFoundException ex)
        {
            return new Envelope { Error = new ErrorInfo { Kind = ErrorKind.NotFound, Type = typeof(ActorNotFoundException).FullName, Message = ex.Name, NodeId = _silo.NodeId } };
        }
    }

    private async ValueTask<Envelope?> KillAsync(string actorId)
    {
        await Actors.KillAsync(actorId, "killed by request", _silo.Stopping).ConfigureAwait(false);
        return null;
    }

    private static ValueTask<Envelope?> Reply(Envelope? reply) => new(reply);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell node {NodeId} that job {JobId} ended: {Reason}")]
    private partial void LogNotifyFailed(string nodeId, string jobId, string reason);
}
