using Granary.Client.Calls;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>
/// Sends one handle's calls to its actor strictly in submission order, even when an earlier call still
/// waits for an ObjectRef argument: a call goes out only after every call before it went out. Calls that
/// are ready and have nothing ahead of them are sent at once, without an async hop. Calls go to the
/// actor's own grain; the actor's node's channel cancels them the moment that node dies. An actor that may
/// restart is followed to its next incarnation (ActorCallQueue.Restarts.cs). Thread-safe.
/// </summary>
internal sealed partial class ActorCallQueue(ActorInfo actor, ActorRoutes routes)
{
    private readonly object _gate = new();
    private readonly object _sendGate = new();
    private readonly List<ActorOutgoing> _outbox = [];
    private Task _tail = Task.CompletedTask;
    private int _requests;
    private double _averageMicros = -1;

    public void Enqueue(ActorCall call, ObjectEntry result, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, List<ObjectEntry>? borrowed)
    {
        lock (_gate)
        {
            if (_tail.IsCompleted && dependencies is null && codeReady.IsCompletedSuccessfully)
            {
                Send(new ActorOutgoing(call, result, borrowed));
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

        Send(new ActorOutgoing(call, result, borrowed));
    }

    /// <summary>
    /// Sends one call, numbered for the actor's current incarnation (see <see cref="Number"/>). Short
    /// methods (averaging under <see cref="Batching.ShortMicros"/>) with two requests already out wait in the
    /// outbox and go together when one of those answers, one Orleans call for many; a call waits there at most
    /// <see cref="Batching.MaxHold"/>, so one that another call of this handle must unblock still goes.
    /// </summary>
    private void Send(ActorOutgoing outgoing)
    {
        if (Number(outgoing))
        {
            Dispatch(outgoing);
        }
    }

    private void Dispatch(ActorOutgoing outgoing)
    {
        var call = outgoing.Call;
        List<ActorOutgoing>? batch = null;
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
        List<ActorOutgoing>? batch = null;
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

    private List<ActorOutgoing> TakeOutboxLocked()
    {
        List<ActorOutgoing> batch = [.. _outbox];
        _outbox.Clear();
        _requests++;
        return batch;
    }

    private void SendOne(ActorOutgoing outgoing)
    {
        var target = outgoing.Target!;
        target.Grain().Call(outgoing.Call, target.Node.Died).ContinueWith(static (completed, state) =>
        {
            var (self, outgoing) = ((ActorCallQueue, ActorOutgoing))state!;
            self.Answered(completed.IsCompletedSuccessfully ? [completed.Result] : null);
            self.Complete(outgoing, completed.IsCompletedSuccessfully ? completed.Result : null, completed.Exception);
        }, (this, outgoing), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void SendBatch(List<ActorOutgoing> batch)
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

        // A batch holds calls of one incarnation: a restart waits for every call of the old one to come back first.
        var target = batch[0].Target!;
        target.Grain().CallMany(calls, target.Node.Died).ContinueWith(static (Task<TaskReplies> completed, object? state) =>
        {
            var (self, batch) = ((ActorCallQueue, List<ActorOutgoing>))state!;
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
        List<ActorOutgoing>? batch = null;
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

    private void Complete(ActorOutgoing outgoing, TaskReply? reply, Exception? callError)
    {
        // The arguments' values may be freed only once the actor is done with them.
        GC.KeepAlive(outgoing.Borrowed);
        var (call, result, target) = (outgoing.Call, outgoing.Result, outgoing.Target!);
        if (reply is null)
        {
            var failure = target.Node.Failure(callError?.InnerException ?? callError ?? new OperationCanceledException("the call was cancelled"), $"calling actor {actor.ActorId}");
            (outgoing.LostBecause, outgoing.MayHaveRun) = (failure.Message, true);
            if (failure is NodeDiedException ? Lost(outgoing) : Returned(target))
            {
                return;
            }

            var error = failure is NodeDiedException
                ? new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} on node {target.Info.NodeId} is unreachable: {failure.Message}; {call.Spec.Method.DisplayName} may not have run.", failure)
                : failure;
            result.TrySetError(error, ErrorConverter.FromException(error, target.Info.NodeId, call.Spec.Method.DisplayName));
            return;
        }

        (outgoing.LostBecause, outgoing.MayHaveRun) = (reply.Error?.Message, false);
        if (reply.Error?.Kind == ErrorKind.ActorDied ? Lost(outgoing) : Returned(target))
        {
            return;
        }
        result.TryComplete(reply, error => error.Kind == ErrorKind.ActorDied
            ? new ActorDiedException(actor.ActorId, error.Message)
            : ErrorConverter.ToException(error));
    }

    private string ActorId => actor.ActorId;
}
