using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Cancels a task this client submitted (Ray's <c>ray.cancel</c>). A task still waiting on the client
    /// (for its arguments or a lease) or queued on its node never runs. A running one sees the
    /// <see cref="CancellationToken"/> parameter of its method cancelled; one that ignores it runs on, but
    /// its ref has failed already. Getting the ref throws <see cref="TaskCancelledException"/>, and tasks
    /// that take it as an argument fail with it as their cause. A cancelled task is never retried.
    /// Cancelling a task that has finished does nothing: its value stays.
    /// </summary>
    /// <param name="objectRef">The ref <c>Remote</c>, <c>Enqueue</c> or <c>Map</c> returned.</param>
    /// <param name="force">
    /// Kill the worker process running the task, for a method that does not watch its token. Only for tasks
    /// with <see cref="Isolation.Process"/> (or GPUs): an in-silo task shares its process with the node.
    /// The node's worker pool starts a new worker for later tasks.
    /// </param>
    /// <param name="recursive">
    /// Also cancel the tasks the cancelled task submitted from inside the cluster (Ray's default). The
    /// request carries it to the node, which keeps it on the running task for the tasks it submitted.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for the node to take the cancel; the cancel itself stands.</param>
    public async Task CancelAsync(ObjectRef objectRef, bool force = false, bool recursive = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objectRef);
        if (objectRef.Entry.IsCompleted)
        {
            return;
        }

        if (!Client.Submission.TaskSubmitter.TryGet(objectRef.Entry, out var task))
        {
            if (objectRef.Entry.IsCompleted)
            {
                return;
            }

            throw new NotSupportedException(
                $"Object {objectRef.Id} is not a task this client submitted, so it cannot be cancelled: actor calls and Put values cannot be " +
                "cancelled (kill the actor with KillActorAsync, or give the actor method a flag or token of your own to watch), and a task can be " +
                "cancelled only by the client that submitted it.");
        }

        if (force && !task.Spec.ProcessIsolation)
        {
            var name = string.IsNullOrEmpty(task.Spec.Name) ? task.Spec.Method.DisplayName : task.Spec.Name;
            throw new ArgumentException(
                $"force: true kills the worker process that runs the task, but {name} runs inside the node's own process, which cannot be killed " +
                "for one task. Submit it with new RemoteOptions { Isolation = Isolation.Process } to force-cancel it, or cancel it without force " +
                "and watch its CancellationToken parameter.", nameof(force));
        }

        if (_submitter.Cancel(task) is not { } slot)
        {
            return;
        }

        var cancel = new CancelTask { TaskId = task.Spec.TaskId, LeaseId = slot.Grant.LeaseId, Force = force, Recursive = recursive };
        try
        {
            await slot.Node.Grain.CancelTask(cancel, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Client.TransientErrors.IsTransient(ex) || ex is NodeDiedException)
        {
            // The node is going away, and the task with it; the ref has failed as cancelled already.
        }
    }
}
