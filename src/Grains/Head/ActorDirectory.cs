using Granary.Grains.SiloPlacement;
using Granary.Runtime.Grains;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;
using Orleans.Runtime;

namespace Granary.Grains.Head;

/// <summary>
/// The head's directory of actors. A name maps to one creation task, so two clients racing to create the
/// same named actor get the same single activation. An actor holds its lease (resources) until it dies.
/// An actor's <see cref="ActorInfo"/> is never changed once published: a restart replaces it, so a reply
/// being written never sees half an update. Thread-safe.
/// </summary>
internal sealed partial class ActorDirectory(SiloRuntime silo, ResourceScheduler scheduler, Persistence.IHeadStore store)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ActorInfo> _actors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<ActorInfo>> _named = new(StringComparer.Ordinal);

    // The specs of actors that may restart, to run their constructor again; others need none after creation.
    private readonly Dictionary<string, ActorSpec> _specs = new(StringComparer.Ordinal);
    private readonly Queue<ActorInfo> _dead = new();
    private const int DeadKept = 1000;

    // Ids killed while unknown here: a creation of one still under way ends in its death (see KillAsync).
    private readonly HashSet<string> _killedEarly = new(StringComparer.Ordinal);
    private readonly Queue<string> _killedEarlyOrder = new();
    private const int KilledEarlyKept = 1000;

    // With a growing pause, about 6 s in all: an activation that is leaving takes one Orleans turn to go.
    private const int ActivationAttempts = 25;

    public async Task<ActorInfo> CreateAsync(ActorSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Name.Length == 0)
        {
            return await ActivateAsync(spec, cancellationToken).ConfigureAwait(false);
        }

        TaskCompletionSource<ActorInfo> creation;
        Task<ActorInfo>? existing;
        lock (_gate)
        {
            if (_named.TryGetValue(NameKey(spec.Namespace, spec.Name), out existing) && !spec.GetIfExists)
            {
                throw new GranaryException($"An actor named '{spec.Name}' already exists in namespace '{Namespace(spec.Namespace)}'. Use GetActorAsync to reach it, GetOrCreateActorAsync to share it, or pick another name.");
            }

            creation = new TaskCompletionSource<ActorInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (existing is null)
            {
                _named[NameKey(spec.Namespace, spec.Name)] = creation.Task;
            }
        }

        if (existing is not null)
        {
            // Racing creators of the same name all get the one activation the first one makes.
            return await existing.ConfigureAwait(false);
        }

        try
        {
            var info = await ActivateAsync(spec, cancellationToken).ConfigureAwait(false);
            creation.SetResult(info);
            return info;
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _named.Remove(NameKey(spec.Namespace, spec.Name));
            }

            creation.SetException(ex);
            throw;
        }
    }

    /// <summary>The key of a named actor: names are unique within a namespace (an empty one is the default).</summary>
    private static string NameKey(string ns, string name) => Namespace(ns) + "\u0000" + name;

    private static string Namespace(string ns) => ns.Length == 0 ? GranaryDefaults.Namespace : ns;

    /// <summary>
    /// The actor's namespace (actors recorded before namespaces existed are in the default one); null for an
    /// id the head does not know (yet: its creation may still be under way).
    /// </summary>
    public string? NamespaceOf(string actorId)
    {
        lock (_gate)
        {
            return _actors.TryGetValue(actorId, out var info) ? Namespace(info.Namespace) : null;
        }
    }

    public async Task<ActorInfo> GetNamedAsync(string ns, string name)
    {
        Task<ActorInfo>? task;
        lock (_gate)
        {
            _named.TryGetValue(NameKey(ns, name), out task);
        }

        if (task is null)
        {
            throw new ActorNotFoundException(name);
        }

        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new ActorNotFoundException(name + $" (its creation failed: {ex.Message})");
        }
    }

    /// <summary>The node of the live actor with this grain key, or empty.</summary>
    public string Locate(string grainKey)
    {
        lock (_gate)
        {
            foreach (var info in _actors.Values)
            {
                if (info.State == ActorState.Alive && ActorKeys.GrainKey(info) == grainKey)
                {
                    return info.NodeId;
                }
            }
        }

        return string.Empty;
    }

    public ActorList List()
    {
        var list = new ActorList();
        lock (_gate)
        {
            list.Actors.AddRange(_actors.Values.Select(a => a.Clone()));
            list.Actors.AddRange(_dead.Select(a => a.Clone()));
        }

        return list;
    }

    public async Task KillAsync(string actorId, string reason, CancellationToken cancellationToken)
    {
        ActorInfo? info;
        lock (_gate)
        {
            if (!_actors.Remove(actorId, out info))
            {
                // Perhaps still being created: its creator picked the id and may kill it before the head has
                // recorded it (MapBatches kills the replicas it no longer needs by id, whether or not their
                // creation has returned). That creation then ends in the actor's death.
                RememberEarlyKillLocked(actorId);
                return;
            }

            if (info.Name.Length > 0)
            {
                _named.Remove(NameKey(info.Namespace, info.Name));
            }

            _specs.Remove(actorId);
            RememberDeadLocked(info, reason);
        }

        Changed();
        scheduler.Return(info.LeaseId);
        await store.RemoveActorAsync(actorId, cancellationToken).ConfigureAwait(false);
        try
        {
            await silo.Actor(ActorKeys.GrainKey(info)).Kill(actorId, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The node is gone, and the activation with it.
        }
    }

    /// <summary>An actor known before a head restart: back in the directory, its reservation taken again.</summary>
    public void Restore(PersistedActor persisted)
    {
        var info = persisted.Info.Clone();
        var spec = info.RestartSpec;
        info.RestartSpec = null;
        lock (_gate)
        {
            _actors[info.ActorId] = info;
            if (info.Name.Length > 0)
            {
                _named[NameKey(info.Namespace, info.Name)] = Task.FromResult(info);
            }

            if (spec is not null)
            {
                _specs[info.ActorId] = spec;
            }
        }

        if (info.State == ActorState.Pending && spec is not null)
        {
            // The head went down while this actor was restarting: its old lease died with its node.
            _ = RestartAsync(info.ActorId, persisted.Amounts);
            return;
        }

        scheduler.RestoreLease(info.LeaseId, Holder(info.Lifetime, info.JobId, info.ActorId), info.NodeId, ResourceSet.FromWire(persisted.Amounts), [.. persisted.GpuIds]);
    }

    /// <summary>Owned actors per job, so a restarted head can end jobs whose clients never come back.</summary>
    public IReadOnlyList<string> JobsWithOwnedActors()
    {
        lock (_gate)
        {
            return _actors.Values.Where(a => a.Lifetime == ActorLifetimeKind.ActorLifetimeOwned).Select(a => a.JobId).Distinct().ToList();
        }
    }

    private static string Holder(ActorLifetimeKind lifetime, string jobId, string actorId) =>
        lifetime == ActorLifetimeKind.ActorLifetimeDetached ? "detached/" + actorId : jobId;

    /// <summary>Removing a placement group kills the actors placed in it (as Ray does).</summary>
    public Task KillGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        List<string> inGroup;
        lock (_gate)
        {
            inGroup = _actors.Values.Where(a => a.PlacementGroupId == groupId).Select(a => a.ActorId).ToList();
        }

        return Task.WhenAll(inGroup.Select(id => KillAsync(id, $"its placement group {groupId} was removed", cancellationToken)));
    }

    private void RememberEarlyKillLocked(string actorId)
    {
        if (!_killedEarly.Add(actorId))
        {
            return;
        }

        _killedEarlyOrder.Enqueue(actorId);
        while (_killedEarlyOrder.Count > KilledEarlyKept)
        {
            _killedEarly.Remove(_killedEarlyOrder.Dequeue());
        }
    }

    /// <summary>True, once, when the actor was killed before the head recorded it.</summary>
    private bool TakeEarlyKill(string actorId)
    {
        lock (_gate)
        {
            // Its id stays in the order queue until evicted; removing it from the set is what counts.
            return _killedEarly.Remove(actorId);
        }
    }

    private void RememberDeadLocked(ActorInfo info, string reason)
    {
        var dead = info.Clone();
        dead.State = ActorState.Dead;
        dead.DeathReason = reason;
        _dead.Enqueue(dead);
        while (_dead.Count > DeadKept)
        {
            _dead.Dequeue();
        }
    }

    /// <summary>Kills the job's owned actors; detached ones live on.</summary>
    public Task JobEndedAsync(string jobId, CancellationToken cancellationToken)
    {
        List<string> owned;
        lock (_gate)
        {
            owned = _actors.Values.Where(a => a.JobId == jobId && a.Lifetime == ActorLifetimeKind.ActorLifetimeOwned).Select(a => a.ActorId).ToList();
        }

        return Task.WhenAll(owned.Select(id => KillAsync(id, $"its owner (job {jobId}) disconnected", cancellationToken)));
    }

    private async Task<ActorInfo> ActivateAsync(ActorSpec spec, CancellationToken cancellationToken)
    {
        // A detached actor's reservation must outlive its creator's job, so it is not booked under the job.
        var holder = Holder(spec.Lifetime, spec.JobId, spec.ActorId);
        var grant = await scheduler.RequestAsync(holder, ResourceSet.FromWire(spec.Resources?.Amounts), spec.Resources?.Placement ?? new Runtime.Wire.Placement(), cancellationToken).ConfigureAwait(false);
        if (TakeEarlyKill(spec.ActorId))
        {
            scheduler.Return(grant.LeaseId);
            throw KilledWhileCreated(spec.ActorId);
        }

        try
        {
            var activate = new ActivateActor { Spec = spec, LeaseId = grant.LeaseId, NodeId = grant.NodeId };
            activate.GpuIds.AddRange(grant.GpuIds);

            // Once placed, the activation runs to its end even if the creator gives up: cutting the grain call
            // short would not stop the constructor on the node, and would leave there an actor nobody knows of
            // (MapBatches cancels the creations of replicas it no longer needs). A creator that gave up gets
            // its actor killed below instead.
            await ActivateOnAsync(activate, silo.Stopping).ConfigureAwait(false);
        }
        catch
        {
            scheduler.Return(grant.LeaseId);
            throw;
        }

        var info = new ActorInfo
        {
            ActorId = spec.ActorId,
            Name = spec.Name,
            Namespace = Namespace(spec.Namespace),
            NodeId = grant.NodeId,
            Address = grant.Address,
            State = ActorState.Alive,
            TypeName = spec.TypeName,
            Lifetime = spec.Lifetime,
            JobId = spec.JobId,
            LeaseId = grant.LeaseId,
            PlacementGroupId = spec.Resources?.Placement?.PlacementGroupId ?? string.Empty,
            MaxRestarts = spec.MaxRestarts,
            MaxTaskRetries = spec.MaxTaskRetries,
        };
        bool killedEarly;
        lock (_gate)
        {
            _actors[spec.ActorId] = info;
            if (spec.MaxRestarts != 0)
            {
                _specs[spec.ActorId] = spec;
            }

            killedEarly = _killedEarly.Remove(spec.ActorId);
        }

        try
        {
            await SaveAsync(info, spec.Resources?.Amounts, grant.GpuIds, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Killed below, which forgets it in the store too.
        }

        // A creator that gave up, or killed the actor while it started, never gets to use it: it must not live on.
        if (killedEarly)
        {
            await KillAsync(spec.ActorId, "killed while it was being created", silo.Stopping);
            throw KilledWhileCreated(spec.ActorId);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await KillAsync(spec.ActorId, "its creation was cancelled", silo.Stopping);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return info;
    }

    private static ActorDiedException KilledWhileCreated(string actorId) =>
        new(actorId, $"Actor {actorId} was killed while it was being created.");

    /// <summary>
    /// Activates the actor's grain on the leased node: the node rides in the request context for the
    /// placement director. An activation Orleans already had elsewhere for this key (an empty one from a
    /// stale call, or the previous holder of a name, leaving) answers false and goes; then try again.
    /// </summary>
    private async Task ActivateOnAsync(ActivateActor activate, CancellationToken cancellationToken)
    {
        var grain = silo.Actor(ActorKeys.GrainKey(activate.Spec));
        for (var attempt = 1; ; attempt++)
        {
            Task<bool> activated;
            RequestContext.Set(ActorPlacement.NodeKey, activate.NodeId);
            try
            {
                activated = grain.Activate(activate, cancellationToken);
            }
            finally
            {
                RequestContext.Remove(ActorPlacement.NodeKey);
            }

            if (await activated.ConfigureAwait(false))
            {
                return;
            }

            if (attempt == ActivationAttempts)
            {
                throw new GranaryException($"Actor {activate.Spec.ActorId} could not be activated on node {activate.NodeId}: another activation of its key kept answering for {ActivationAttempts} tries.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }
}
