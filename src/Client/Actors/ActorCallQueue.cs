using Granary.Client.Calls;
using Granary.Runtime.Objects;
using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Client.Actors;

/// <summary>
/// Sends one handle's calls to its actor strictly in submission order, even when an earlier call still
/// waits for an ObjectRef argument: a call goes out only after every call before it went out. Calls that
/// are ready and have nothing ahead of them are sent at once, without an async hop. Thread-safe.
/// </summary>
internal sealed class ActorCallQueue(ActorInfo actor, ConnectionPool pool, CancellationToken stopping)
{
    private readonly object _gate = new();
    private Task _tail = Task.CompletedTask;

    public void Enqueue(ActorCall call, ObjectEntry result, string name, List<(int Index, ObjectEntry Entry)>? dependencies, Task codeReady, List<ObjectEntry>? borrowed)
    {
        lock (_gate)
        {
            if (_tail.IsCompleted && dependencies is null && codeReady.IsCompletedSuccessfully && pool.TryGetOpen(actor.Address) is { } open)
            {
                Send(open, call, result, borrowed);
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

        Connection connection;
        try
        {
            connection = await pool.GetAsync(actor.Address, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var error = new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} on node {actor.NodeId} ({actor.Address}) cannot be reached: {ex.Message}", ex);
            result.TrySetError(error, ErrorConverter.FromException(error, actor.NodeId, name));
            return;
        }

        Send(connection, call, result, borrowed);
    }

    private void Send(Connection connection, ActorCall call, ObjectEntry result, List<ObjectEntry>? borrowed)
    {
        connection.CallAsync(new Envelope { ActorCall = call }, inlineReply: true).ContinueWith(static (completed, state) =>
        {
            var (self, call, result, borrowed) = ((ActorCallQueue, ActorCall, ObjectEntry, List<ObjectEntry>?))state!;
            self.Complete(call, result, completed);

            // The arguments' values may be freed only once the actor is done with them.
            GC.KeepAlive(borrowed);
        }, (this, call, result, borrowed), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Complete(ActorCall call, ObjectEntry result, Task<Envelope> completed)
    {
        if (!completed.IsCompletedSuccessfully)
        {
            var reason = completed.Exception?.InnerException?.Message ?? "cancelled";
            var error = new ActorDiedException(actor.ActorId, $"Actor {actor.ActorId} on node {actor.NodeId} is unreachable: {reason}; {call.Spec.Method.DisplayName} may not have run.", completed.Exception?.InnerException);
            result.TrySetError(error, ErrorConverter.FromException(error, actor.NodeId, call.Spec.Method.DisplayName));
            return;
        }

        var envelope = completed.Result;
        if (envelope.BodyCase != Envelope.BodyOneofCase.TaskReply)
        {
            var info = envelope.Error ?? ErrorConverter.System("empty reply", actor.NodeId);
            result.TrySetError(ErrorConverter.ToException(info), info);
            return;
        }

        result.TryComplete(envelope.TaskReply, error => error.Kind == ErrorKind.ActorDied
            ? new ActorDiedException(actor.ActorId, error.Message)
            : ErrorConverter.ToException(error));
    }
}
