using Granary.Client.Calls;
using Granary.Runtime.Grains;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>
/// Sends one handle's calls to its actor strictly in submission order, even when an earlier call still
/// waits for an ObjectRef argument: a call goes out only after every call before it went out. Calls that
/// are ready and have nothing ahead of them are sent at once, without an async hop. Calls go to the
/// actor's own grain; the actor's node's channel cancels them the moment that node dies. Thread-safe.
/// </summary>
internal sealed class ActorCallQueue(ActorInfo actor, NodeChannel node)
{
    private readonly string _grainKey = ActorKeys.GrainKey(actor);
    private GrainOnRoute? _grain;

    private static long _handles;
    private readonly object _gate = new();
    private readonly string _callerId = Guid.NewGuid().ToString("N")[..16] + "-" + Interlocked.Increment(ref _handles).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly object _sendGate = new();
    private readonly List<Outgoing> _outbox = [];
    private long _sent;
    private Task _tail = Task.CompletedTask;
    private int _requests;
    private double _averageMicros = -1;

    public void Enqueue(ActorCall call, ObjectEntry result, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, List<ObjectEntry>? borrowed)
    {
        lock (_gate)
        {
            if (_tail.IsCompleted && dependencies is null && codeReady.IsCompletedSuccessfully)
            {
                Send(call, result, borrowed);
                return;
            }

            _tail = SendAfterAsync(_tail, call, result, name, dependencies, codeReady, borrowed);
        }
    }

    private async Task SendAfterAsync(Task previous, ActorCall call, ObjectEntry result, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, List<ObjectEntry>? borrowed)
    {
        await previous.ConfigureAwait(false);
        if (!await ArgumentBuilder.WaitAsync(call.Spec, result, name, dependencies, codeReady, orderAfter: null).ConfigureAwait(false))
        {
            return;
        }

        Send(call, result, borrowed);
    }

    /// <summary>
    /// Sends one call; calls reach this one at a time, in order, so their numbers follow that order. Short
    /// methods (averaging under <see cref="Batching.ShortMicros"/>) with two requests already out wait in the
    /// outbox and go together when one of those answers, one Orleans call for many; a call waits there at most
    /// <see cref="Batching.MaxHold"/>, so one that another call of this handle must unblock still goes.
    /// </summary>
    private void Send(ActorCall call, ObjectEntry result, List<ObjectEntry>? borrowed)
    {
        call.CallerId = _callerId;
        call.Sequence = Interlocked.Increment(ref _sent);
        var outgoing = new Outgoing(call, result, borrowed);
        List<Outgoing>? batch = null;
        lock (_sendGate)
        {
            if (Batching.IsShort(_averageMicros) && _requests >= Batching.RequestsBeforeHolding)
            {
                _outbox.Add(outgoing);
                if (_outbox.Count < Batching.MaxSize)
                {
                    if (_outbox.Count == 1)
                    {
                        _ = FlushLaterAsync(call.Sequence);
                    }

                    return;
                }

                batch = TakeOutboxLocked();
            }
            else
            {
                _requests++;
            }
        }

        if (batch is not null)
        {
            SendBatch(batch);
        }
        else
        {
            SendOne(outgoing);
        }
    }

    private async Task FlushLaterAsync(long firstSequence)
    {
        await Task.Delay(Batching.MaxHold).ConfigureAwait(false);
        List<Outgoing>? batch = null;
        lock (_sendGate)
        {
            if (_outbox.Count > 0 && _outbox[0].Call.Sequence == firstSequence)
            {
                batch = TakeOutboxLocked();
            }
        }

        if (batch is not null)
        {
            SendBatch(batch);
        }
    }

    private List<Outgoing> TakeOutboxLocked()
    {
        List<Outgoing> batch = [.. _outbox];
        _outbox.Clear();
        _requests++;
        return batch;
    }

    private void SendOne(Outgoing outgoing)
    {
        Grain().Call(outgoing.Call, node.Died).ContinueWith(static (completed, state) =>
        {
            var (self, outgoing) = ((ActorCallQueue, Outgoing))state!;
            self.Answered(completed.IsCompletedSuccessfully ? [completed.Result] : null);
            self.Complete(outgoing, completed.IsCompletedSuccessfully ? completed.Result : null, completed.Exception);
        }, (this, outgoing), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void SendBatch(List<Outgoing> batch)
    {
        if (batch.Count == 1)
        {
            SendOne(batch[0]);
            return;
        }

        var calls = new ActorCalls();
        foreach (var outgoing in batch)
        {
            calls.Calls.Add(outgoing.Call);
        }

        Grain().CallMany(calls, node.Died).ContinueWith(static (Task<TaskReplies> completed, object? state) =>
        {
            var (self, batch) = ((ActorCallQueue, List<Outgoing>))state!;
            var replies = completed.IsCompletedSuccessfully && completed.Result.Replies.Count == batch.Count ? completed.Result.Replies : null;
            self.Answered(replies);
            for (var i = 0; i < batch.Count; i++)
            {
                Exception? error = replies is not null ? null
                    : completed.IsCompletedSuccessfully ? new GranaryException($"Actor {self.ActorId} answered a batch of {batch.Count} calls with {completed.Result.Replies.Count} replies.")
                    : completed.Exception;
                self.Complete(batch[i], replies?[i], error);
            }
        }, (this, batch), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>A request came back: learn how long the calls ran, and send what waited in the outbox.</summary>
    private void Answered(IList<TaskReply>? replies)
    {
        List<Outgoing>? batch = null;
        lock (_sendGate)
        {
            _requests--;
            foreach (var reply in replies ?? [])
            {
                _averageMicros = Batching.Average(_averageMicros, reply.RunMicros);
            }

            if (_outbox.Count > 0)
            {
                batch = TakeOutboxLocked();
            }
        }

        if (batch is not null)
        {
            SendBatch(batch);
        }
    }

    private void Complete(Outgoing outgoing, TaskReply? reply, Exception? callError)
    {
        // The arguments' values may be freed only once the actor is done with them.
        GC.KeepAlive(outgoing.Borrowed);
        var (call, result) = (outgoing.Call, outgoing.Result);
        if (reply is null)
        {
            var failure = node.Failure(callError?.InnerException ?? callError ?? new OperationCanceledException("the call was cancelled"), $"calling actor {actor.ActorId}");
            var error = failure is NodeDiedException
                ? new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} on node {actor.NodeId} is unreachable: {failure.Message}; {call.Spec.Method.DisplayName} may not have run.", failure)
                : failure;
            result.TrySetError(error, ErrorConverter.FromException(error, actor.NodeId, call.Spec.Method.DisplayName));
            return;
        }

        result.TryComplete(reply, error => error.Kind == ErrorKind.ActorDied
            ? new ActorDiedException(actor.ActorId, error.Message)
            : ErrorConverter.ToException(error));
    }

    private string ActorId => actor.ActorId;

    /// <summary>The actor's grain on the node channel's current route (direct once that is up).</summary>
    private IActorGrain Grain()
    {
        var factory = node.Grains;
        var current = Volatile.Read(ref _grain);
        if (current is null || !ReferenceEquals(current.Factory, factory))
        {
            current = new GrainOnRoute(factory, factory.GetGrain<IActorGrain>(_grainKey));
            Volatile.Write(ref _grain, current);
        }

        return current.Grain;
    }

    private sealed record GrainOnRoute(Orleans.IGrainFactory Factory, IActorGrain Grain);

    private readonly record struct Outgoing(ActorCall Call, ObjectEntry Result, List<ObjectEntry>? Borrowed);
}
