using System.Diagnostics;
using Granary.Runtime.Grains;
using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// Restarts (Ray's max_restarts). When an actor's node dies and its budget allows, the actor stays in the
/// directory, PENDING with one more restart counted, under the same id, name and grain key; the head leases
/// its shape again and runs its constructor on the new node. Otherwise it dies, with the reason.
/// <code>
///   ALIVE --node died, restarts left--> PENDING (num_restarts + 1) --activated--> ALIVE on another node
///     |                                   | placed nowhere, constructor threw, killed
///     +--node died, no restarts left------+--> DEAD
/// </code>
/// Clients learn of the new incarnation through <see cref="AwaitAsync"/>.
/// </summary>
internal sealed partial class ActorDirectory
{
    // A node that dies under the activation of a restart is not the actor's fault: another node is tried.
    private const int RestartAttempts = 10;

    private TaskCompletionSource _changes = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The node died: its actors restart elsewhere if their budget allows, else they die. Callers then get ActorDied.</summary>
    public void NodeDied(string nodeId, string reason)
    {
        List<(string ActorId, ResourceMap? Amounts)> restarts = [];
        lock (_gate)
        {
            foreach (var info in _actors.Values.Where(a => a.NodeId == nodeId && a.State == ActorState.Alive).ToList())
            {
                if (_specs.TryGetValue(info.ActorId, out var spec) && (info.MaxRestarts < 0 || info.NumRestarts < info.MaxRestarts))
                {
                    var restarting = info.Clone();
                    restarting.State = ActorState.Pending;
                    restarting.NumRestarts++;
                    restarting.LeaseId = string.Empty;
                    PublishLocked(restarting);
                    restarts.Add((info.ActorId, spec.Resources?.Amounts));
                    continue;
                }

                var why = info.MaxRestarts == 0
                    ? $"its node {nodeId} died: {reason}"
                    : $"its node {nodeId} died ({reason}) and it had restarted {info.NumRestarts} time(s), its MaxRestarts";
                RemoveLocked(info, why);
                _ = store.RemoveActorAsync(info.ActorId, CancellationToken.None);
            }
        }

        Changed();
        foreach (var (actorId, amounts) in restarts)
        {
            _ = RestartAsync(actorId, amounts);
        }
    }

    /// <summary>
    /// The actor once it is alive in incarnation <see cref="ActorLookup.MinRestarts"/> or later, or dead for good
    /// (with its reason), or, after <paramref name="bound"/>, as it is then: alive in an older incarnation means
    /// its node did not die after all, pending that it is still restarting.
    /// </summary>
    public async Task<ActorInfo> AwaitAsync(ActorLookup lookup, TimeSpan bound, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            ActorInfo? current;
            Task changed;
            lock (_gate)
            {
                if (!_actors.TryGetValue(lookup.ActorId, out current))
                {
                    return DeadLocked(lookup.ActorId);
                }

                if (current.State == ActorState.Alive && current.NumRestarts >= lookup.MinRestarts)
                {
                    return current;
                }

                changed = _changes.Task;
            }

            var left = bound - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return current;
            }

            try
            {
                await changed.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Answered with the state as it is at the next turn of the loop.
            }
        }
    }

    private async Task RestartAsync(string actorId, ResourceMap? amounts)
    {
        for (var attempt = 1; ; attempt++)
        {
            ActorInfo pending;
            ActorSpec spec;
            lock (_gate)
            {
                if (!_actors.TryGetValue(actorId, out pending!) || pending.State != ActorState.Pending || !_specs.TryGetValue(actorId, out spec!))
                {
                    return;
                }
            }

            if (attempt == 1)
            {
                // A head restarted meanwhile picks the restart up from the store.
                await SaveIfPresentAsync(pending, amounts, []).ConfigureAwait(false);
            }

            LeaseGrant grant;
            try
            {
                grant = await scheduler.RequestAsync(Holder(spec.Lifetime, spec.JobId, spec.ActorId), ResourceSet.FromWire(spec.Resources?.Amounts), spec.Resources?.Placement ?? new Runtime.Wire.Placement(), silo.Stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!silo.Stopping.IsCancellationRequested)
            {
                GiveUp(pending, $"its node {pending.NodeId} died and it could not be placed again: {ex.Message}");
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var activate = new ActivateActor { Spec = spec, LeaseId = grant.LeaseId, NodeId = grant.NodeId };
                activate.GpuIds.AddRange(grant.GpuIds);
                await ActivateOnAsync(activate, silo.Stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!silo.Stopping.IsCancellationRequested)
            {
                scheduler.Return(grant.LeaseId);
                if (IsNodeFailure(ex) && attempt < RestartAttempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), silo.Stopping).ConfigureAwait(false);
                    continue;
                }

                GiveUp(pending, $"its node {pending.NodeId} died and restarting it on node {grant.NodeId} failed: {ex.Message}");
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            ActorInfo? alive = null;
            lock (_gate)
            {
                if (ReferenceEquals(_actors.GetValueOrDefault(actorId), pending))
                {
                    alive = pending.Clone();
                    alive.State = ActorState.Alive;
                    alive.NodeId = grant.NodeId;
                    alive.Address = grant.Address;
                    alive.LeaseId = grant.LeaseId;
                    PublishLocked(alive);
                }
            }

            if (alive is null)
            {
                // Killed (or its job ended) while it restarted: the new activation goes too.
                scheduler.Return(grant.LeaseId);
                await KillGrainAsync(pending, "it was killed while it restarted").ConfigureAwait(false);
                return;
            }

            Changed();
            await SaveIfPresentAsync(alive, amounts, grant.GpuIds).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>The activation failed because a node or the connection to it did, not because of the actor's code.</summary>
    private static bool IsNodeFailure(Exception ex) =>
        ex is NodeDiedException or TimeoutException or Orleans.Runtime.OrleansException;

    private void GiveUp(ActorInfo pending, string reason)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_actors.GetValueOrDefault(pending.ActorId), pending))
            {
                return;
            }

            RemoveLocked(pending, reason);
        }

        Changed();
        _ = store.RemoveActorAsync(pending.ActorId, CancellationToken.None);
    }

    private async Task KillGrainAsync(ActorInfo info, string reason)
    {
        try
        {
            await silo.Actor(ActorKeys.GrainKey(info)).Kill(info.ActorId, reason, silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Its node is gone, and the activation with it.
        }
    }

    /// <summary>Saves the actor (with its spec, for a restartable one), then takes it out again if it died meanwhile.</summary>
    private async Task SaveIfPresentAsync(ActorInfo info, ResourceMap? amounts, IEnumerable<int> gpuIds)
    {
        try
        {
            await SaveAsync(info, amounts, gpuIds, silo.Stopping).ConfigureAwait(false);
            bool gone;
            lock (_gate)
            {
                gone = !_actors.ContainsKey(info.ActorId);
            }

            if (gone)
            {
                await store.RemoveActorAsync(info.ActorId, silo.Stopping).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The store is down: the restart goes on; a head restarted now would not know of it, as of any
            // other change it could not write.
        }
    }

    private Task SaveAsync(ActorInfo info, ResourceMap? amounts, IEnumerable<int> gpuIds, CancellationToken cancellationToken)
    {
        var persisted = new PersistedActor { Info = info.Clone(), Amounts = amounts ?? new ResourceMap() };
        lock (_gate)
        {
            if (_specs.TryGetValue(info.ActorId, out var spec))
            {
                persisted.Info.RestartSpec = spec;
            }
        }

        persisted.GpuIds.AddRange(gpuIds);
        return store.SaveActorAsync(persisted, cancellationToken);
    }

    /// <summary>Replaces the actor's published info (see the class comment), under its id and name.</summary>
    private void PublishLocked(ActorInfo info)
    {
        _actors[info.ActorId] = info;
        if (info.Name.Length > 0)
        {
            _named[NameKey(info.Namespace, info.Name)] = Task.FromResult(info);
        }
    }

    private void RemoveLocked(ActorInfo info, string reason)
    {
        _actors.Remove(info.ActorId);
        _specs.Remove(info.ActorId);
        if (info.Name.Length > 0)
        {
            _named.Remove(NameKey(info.Namespace, info.Name));
        }

        RememberDeadLocked(info, reason);
    }

    private ActorInfo DeadLocked(string actorId) =>
        _dead.LastOrDefault(d => d.ActorId == actorId)?.Clone()
        ?? new ActorInfo { ActorId = actorId, State = ActorState.Dead, DeathReason = "the head does not know it (it died long ago, or before the head restarted without its store)" };

    /// <summary>Wakes every <see cref="AwaitAsync"/>: some actor changed state.</summary>
    private void Changed()
    {
        TaskCompletionSource changes;
        lock (_gate)
        {
            changes = _changes;
            _changes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changes.TrySetResult();
    }
}
