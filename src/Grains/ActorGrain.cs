using Granary.Grains.SiloPlacement;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Grains;

/// <summary>
/// An actor as an Orleans grain. Lifecycle: Empty → (Activate from the head, on the leased node) → Live →
/// (killed, owner gone, silo stopping, Orleans deactivating it) → Dead → deactivated. An activation that
/// Orleans creates for a call to an actor that is gone (its node died, it was killed) stays Empty: it
/// answers ActorDied and deactivates, so a dead actor never comes back somewhere else by accident.
/// Reentrant: <see cref="ActorActivation"/> orders the calls and bounds their concurrency.
/// </summary>
[ActorPlacement]
[Reentrant]
[CollectionAgeLimit(AlwaysActive = true)]
internal sealed class ActorGrain(SiloRuntime silo) : Grain, IActorGrain
{
    private Task<ActorActivation>? _activating;
    private string _actorId = string.Empty;

    // An empty activation that asked Orleans to deactivate it: it must not take an actor on, or Orleans
    // would deactivate the actor's grain moments later (and that kills the actor, see OnDeactivateAsync).
    private bool _leaving;

    public async Task<bool> Activate(ActivateActor request, CancellationToken cancellationToken)
    {
        if (_activating is not null)
        {
            if (_actorId != request.Spec.ActorId)
            {
                if (_activating.IsFaulted || _activating is { IsCompletedSuccessfully: true, Result.IsDying: true })
                {
                    // The previous holder of this key failed to start or died, and this activation is
                    // leaving: the head's next try gets a fresh one.
                    return false;
                }

                throw new GranaryException($"Actor key {this.GetPrimaryKeyString()} already holds actor {_actorId}; actor {request.Spec.ActorId} cannot take it.");
            }

            if (request.NodeId.Length > 0 && request.NodeId != silo.NodeId)
            {
                // The incarnation the head is replacing, on the node it declared dead, which Orleans still
                // routes to for a moment: not the new one. The head tries again and reaches the new node.
                return false;
            }

            await _activating;
            return true;
        }

        if (_leaving)
        {
            // The head's next try gets a fresh activation, once this one has gone.
            return false;
        }

        if (request.NodeId.Length > 0 && request.NodeId != silo.NodeId)
        {
            // Orleans routed the request to an empty activation a stale call had created elsewhere: it
            // leaves, so the head's next try creates one on the leased node.
            Leave();
            return false;
        }

        _actorId = request.Spec.ActorId;
        _activating = ActorActivator.ActivateAsync(silo, request);
        _ = DeactivateWhenFinishedAsync(_activating);
        await _activating;
        return true;
    }

    public Task<TaskReply> Call(ActorCall call, CancellationToken cancellationToken)
    {
        silo.Traffic.ActorCallsArrived(1);
        return Run(call);
    }

    public Task<TaskReplies> CallMany(ActorCalls calls, CancellationToken cancellationToken)
    {
        silo.Traffic.ActorCallsArrived(calls.Calls.Count);
        return BatchReplies.RunAllAsync(calls.Calls, Run);
    }

    private Task<TaskReply> Run(ActorCall call)
    {
        if (_activating is { IsCompletedSuccessfully: true } && _actorId == call.ActorId)
        {
            return _activating.Result.Enqueue(call);
        }

        if (_activating is null)
        {
            Leave();
        }

        var why = _actorId == call.ActorId
            ? "it has not finished starting or failed to start"
            : _actorId.Length == 0 ? "it is not alive (killed, or its node died)" : $"its name now belongs to actor {_actorId}";
        return Task.FromResult(ActorActivation.DiedReply(silo.NodeId, $"Actor {call.ActorId} is dead: {why}; {call.Spec.Method.DisplayName} did not run."));
    }

    public Task Kill(string actorId, string reason, CancellationToken cancellationToken)
    {
        if (_actorId == actorId)
        {
            silo.DeactivateActor(actorId, reason);
        }

        if (_activating is null)
        {
            Leave();
        }

        return Task.CompletedTask;
    }

    private void Leave()
    {
        _leaving = true;
        this.DeactivateOnIdle();
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A live actor already here under this key lost its grain to Orleans (see OnDeactivateAsync): this
        // activation carries it on, instance and state untouched.
        if (silo.TryGetActorByGrainKey(this.GetPrimaryKeyString(), out var living) && !living.IsDying)
        {
            _actorId = living.Spec.ActorId;
            _activating = Task.FromResult(living);
            _ = DeactivateWhenFinishedAsync(_activating);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Orleans ends an activation whose directory entry lived on a silo that died (a head restart, say):
        // the actor is fine, so it stays in the silo and the next call's activation here adopts it, placed
        // by the head's answer to where the actor lives. So does a duplicate Orleans found after a silo died
        // (another activation of the key won: it, or the next one here, adopts the actor). Any other end Orleans picks (shutdown, a duplicate
        // found) kills the actor rather than leaving it unreachable.
        if (reason.ReasonCode is DeactivationReasonCode.DirectoryFailure or DeactivationReasonCode.DuplicateActivation)
        {
            return Task.CompletedTask;
        }

        if (_actorId.Length > 0)
        {
            silo.DeactivateActor(_actorId, "Orleans deactivated its grain: " + reason.Description);
        }

        return Task.CompletedTask;
    }

    private async Task DeactivateWhenFinishedAsync(Task<ActorActivation> activating)
    {
        try
        {
            var activation = await activating;
            await activation.Finished;
        }
        catch (Exception)
        {
            // A constructor that threw leaves nothing to wait for; the creator got its error.
        }

        this.DeactivateOnIdle();
    }
}
