using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>
/// Following an actor across restarts (Ray's max_restarts, max_task_retries). While the handle's incarnation
/// is alive, calls are numbered for it and sent. When a call is lost with it (its node died, or the grain
/// answers that no actor lives there), the queue asks the head where the actor went and holds every later
/// call meanwhile; once the actor lives again and every call sent to the old incarnation is back, the lost
/// calls that MaxTaskRetries allows go again first, in their old order, then the held ones. An actor dead
/// for good fails them all, and every later call, with the head's reason.
/// <code>
///   SENDING --call lost, or its node is dead--> RELOCATING --restarted--> SENDING (new incarnation)
///                                                  | not moved (its node lives): lost calls fail, same incarnation
///                                                  +--dead for good--> DEAD (every call fails)
/// </code>
/// </summary>
internal sealed partial class ActorCallQueue
{
    // How long a call answered "no live actor here" keeps going again before it fails. After a node dies,
    // Orleans may keep a stray empty activation of the key on another silo for seconds (its directory
    // partition moved with the dead silo), which answers so until Orleans drops it.
    private const long NotRunForMillis = 20_000;

    private readonly object _routeGate = new();
    private readonly List<ActorOutgoing> _held = [];
    private ActorTarget _target = new(actor, routes.Channel(actor));
    private bool _relocating;
    private ActorDiedException? _deadForGood;

    /// <summary>The node the actor lives on now, as far as this handle knows.</summary>
    public string NodeId => Volatile.Read(ref _target).Info.NodeId;

    /// <summary>How often the head had restarted the actor when this handle last heard of it.</summary>
    public int NumRestarts => Volatile.Read(ref _target).Info.NumRestarts;

    private bool Restartable => actor.MaxRestarts != 0;

    /// <summary>Numbers the call for the current incarnation; false when it waits for a restart or failed at once.</summary>
    private bool Number(ActorOutgoing outgoing)
    {
        ActorDiedException? dead;
        lock (_routeGate)
        {
            dead = _deadForGood;
            if (dead is null)
            {
                if (_relocating || NeedsRelocationLocked())
                {
                    _held.Add(outgoing);
                    StartRelocationLocked();
                    return false;
                }

                NumberLocked(outgoing);
                return true;
            }
        }

        Fail(outgoing, dead);
        return false;
    }

    private bool NeedsRelocationLocked() => Restartable && (_target.Node.IsDead || _target.Info.State != ActorState.Alive);

    private void NumberLocked(ActorOutgoing outgoing)
    {
        var target = _target;
        outgoing.Target = target;
        outgoing.Call.CallerId = target.CallerId;
        outgoing.Call.Sequence = ++target.Sent;
        target.InFlight++;
    }

    /// <summary>A call came back (answered, or failed for good); false, so the caller completes it.</summary>
    private bool Returned(ActorTarget target)
    {
        lock (_routeGate)
        {
            ReturnedLocked(target);
        }

        return false;
    }

    private static void ReturnedLocked(ActorTarget target)
    {
        if (--target.InFlight == 0)
        {
            target.Drained?.TrySetResult();
        }
    }

    /// <summary>True when the restart takes the lost call over; false: it fails as it would without restarts.</summary>
    private bool Lost(ActorOutgoing outgoing)
    {
        if (!Restartable)
        {
            return Returned(outgoing.Target!);
        }

        lock (_routeGate)
        {
            var target = outgoing.Target!;
            ReturnedLocked(target);
            if (!ReferenceEquals(target, _target) && outgoing.MayHaveRun)
            {
                // A straggler of an incarnation the handle has already left (its restart stopped waiting).
                return false;
            }

            // A call that did not run goes with the current incarnation's lost calls, whichever it was sent to.
            _target.Lost.Add(outgoing);
            StartRelocationLocked();
            return true;
        }
    }

    private void StartRelocationLocked()
    {
        if (!_relocating)
        {
            _relocating = true;
            _ = RelocateAsync(_target);
        }
    }

    private async Task RelocateAsync(ActorTarget old)
    {
        // A live incarnation n whose node died under a call: wait for n + 1. Calls that only met an empty
        // activation, or a pending incarnation (the handle was made while the actor restarted): wait for n.
        int min;
        lock (_routeGate)
        {
            var nodeLost = old.Node.IsDead || old.Lost.Any(o => o.MayHaveRun);
            min = old.Info.State == ActorState.Alive && nodeLost ? old.Info.NumRestarts + 1 : old.Info.NumRestarts;
        }

        ActorInfo? next = null;
        Exception? error = null;
        try
        {
            do
            {
                // Each answer is bounded at the head; a restart that waits for resources is asked about again.
                next = await routes.AwaitAsync(actor.ActorId, min).ConfigureAwait(false);
            }
            while (next.State == ActorState.Pending);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = ex;
        }

        var newIncarnation = next is { State: ActorState.Alive } && (next.NumRestarts > old.Info.NumRestarts || old.Info.State != ActorState.Alive);
        if (newIncarnation)
        {
            await DrainedAsync(old).ConfigureAwait(false);
        }
        else if (next is { State: ActorState.Alive })
        {
            // Same incarnation: the empty activation that answered leaves on its own first. Growing waits, so
            // a stray one that Orleans keeps for a while is not fed a new call every few milliseconds.
            int tries;
            lock (_routeGate)
            {
                tries = old.Lost.Count == 0 ? 0 : old.Lost.Max(o => o.NotRunTries);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 << Math.Min(tries, 4)))).ConfigureAwait(false);
        }

        List<(ActorOutgoing Call, ActorDiedException Error)> failed = [];
        List<ActorOutgoing> again = [];
        lock (_routeGate)
        {
            var lost = old.Lost.OrderBy(o => o.Call.Sequence).ToList();
            old.Lost.Clear();
            if (error is not null || next is null)
            {
                var why = new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId}'s node {old.Info.NodeId} failed, and the head could not say whether it restarted: {error?.Message}", error);
                failed.AddRange(lost.Concat(_held).Select(o => (o, why)));
                _held.Clear();
            }
            else if (next.State == ActorState.Dead)
            {
                _deadForGood = new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} is dead: {next.DeathReason}.");
                failed.AddRange(lost.Concat(_held).Select(o => (o, _deadForGood)));
                _held.Clear();
            }
            else
            {
                // Resent calls take a new caller id: the live instance never saw the numbers they had.
                _target = new ActorTarget(next, routes.Channel(next));
                foreach (var outgoing in lost)
                {
                    if (!outgoing.MayHaveRun && (outgoing.NotRunTries == 0 || Environment.TickCount64 - outgoing.FirstNotRunAt < NotRunForMillis))
                    {
                        if (outgoing.NotRunTries++ == 0)
                        {
                            outgoing.FirstNotRunAt = Environment.TickCount64;
                        }

                        again.Add(outgoing);
                    }
                    else if (newIncarnation && (actor.MaxTaskRetries < 0 || outgoing.Retries < actor.MaxTaskRetries))
                    {
                        outgoing.Retries++;
                        again.Add(outgoing);
                    }
                    else
                    {
                        var why = newIncarnation
                            ? $"it restarted on node {next.NodeId}, but MaxTaskRetries ({actor.MaxTaskRetries}) allows no more tries of this call"
                            : "the call was lost and the actor did not restart";
                        failed.Add((outgoing, LostError(outgoing, old, why)));
                    }
                }
            }
        }

        foreach (var (outgoing, why) in failed)
        {
            Fail(outgoing, why);
        }

        FlushHeld(again);
    }

    /// <summary>Sends the retried calls, then the held ones, in order, until none is left; then calls go straight out again.</summary>
    private void FlushHeld(List<ActorOutgoing> first)
    {
        var batch = first;
        while (true)
        {
            ActorDiedException? dead;
            lock (_routeGate)
            {
                batch.AddRange(_held);
                _held.Clear();
                dead = _deadForGood;
                if (dead is null && batch.Count > 0 && NeedsRelocationLocked())
                {
                    // The new incarnation is lost already: wait again, these first.
                    _held.InsertRange(0, batch);
                    _ = RelocateAsync(_target);
                    return;
                }

                if (dead is null && batch.Count == 0)
                {
                    _relocating = false;
                    if (_target.Lost.Count > 0)
                    {
                        StartRelocationLocked();
                    }

                    return;
                }

                if (dead is null)
                {
                    foreach (var outgoing in batch)
                    {
                        NumberLocked(outgoing);
                    }
                }
            }

            foreach (var outgoing in batch)
            {
                if (dead is not null)
                {
                    Fail(outgoing, dead);
                }
                else
                {
                    Dispatch(outgoing);
                }
            }

            if (dead is not null)
            {
                return;
            }

            batch = [];
        }
    }

    /// <summary>Waits until every call sent to <paramref name="old"/> is back; they fail fast, as its node is dead. Bounded, should one never come back.</summary>
    private async Task DrainedAsync(ActorTarget old)
    {
        Task drained;
        lock (_routeGate)
        {
            if (old.InFlight == 0)
            {
                return;
            }

            old.Drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = old.Drained.Task;
        }

        await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
    }

    private ActorDiedException LostError(ActorOutgoing outgoing, ActorTarget old, string why) =>
        new(actor.ActorId, $"Actor {actor.ActorId} on node {old.Info.NodeId} died while {outgoing.Call.Spec.Method.DisplayName} was in flight, which may not have run: {why} ({outgoing.LostBecause}).");

    private static void Fail(ActorOutgoing outgoing, ActorDiedException error)
    {
        GC.KeepAlive(outgoing.Borrowed);
        outgoing.Result.TrySetError(error, ErrorConverter.FromException(error, outgoing.Target?.Info.NodeId ?? string.Empty, outgoing.Call.Spec.Method.DisplayName));
    }
}
