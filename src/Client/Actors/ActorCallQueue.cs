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
internal sealed class ActorCallQueue(ActorInfo actor, IActorGrain grain, NodeChannel node)
{
    private static long _handles;
    private readonly object _gate = new();
    private readonly string _callerId = Guid.NewGuid().ToString("N")[..16] + "-" + Interlocked.Increment(ref _handles).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private long _sent;
    private Task _tail = Task.CompletedTask;

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

    /// <summary>Sends one call; calls reach this one at a time, in order, so their numbers follow that order.</summary>
    private void Send(ActorCall call, ObjectEntry result, List<ObjectEntry>? borrowed)
    {
        call.CallerId = _callerId;
        call.Sequence = Interlocked.Increment(ref _sent);
        grain.Call(call, node.Died).ContinueWith(static (completed, state) =>
        {
            var (self, call, result, borrowed) = ((ActorCallQueue, ActorCall, ObjectEntry, List<ObjectEntry>?))state!;
            self.Complete(call, result, completed);

            // The arguments' values may be freed only once the actor is done with them.
            GC.KeepAlive(borrowed);
        }, (this, call, result, borrowed), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Complete(ActorCall call, ObjectEntry result, Task<TaskReply> completed)
    {
        if (!completed.IsCompletedSuccessfully)
        {
            var failure = node.Failure(completed.Exception?.InnerException ?? new OperationCanceledException("the call was cancelled"), $"calling actor {actor.ActorId}");
            var error = failure is NodeDiedException
                ? new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} on node {actor.NodeId} is unreachable: {failure.Message}; {call.Spec.Method.DisplayName} may not have run.", failure)
                : failure;
            result.TrySetError(error, ErrorConverter.FromException(error, actor.NodeId, call.Spec.Method.DisplayName));
            return;
        }

        result.TryComplete(completed.Result, error => error.Kind == ErrorKind.ActorDied
            ? new ActorDiedException(actor.ActorId, error.Message)
            : ErrorConverter.ToException(error));
    }
}
