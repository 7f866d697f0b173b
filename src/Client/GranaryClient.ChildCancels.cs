using Granary.Grains;
using Microsoft.Extensions.Logging;

namespace Granary;

public sealed partial class GranaryClient : IChildTasks
{
    /// <summary>
    /// Ray's recursive cancel, on an in-cluster client: the node cancelled a task running here, so the tasks
    /// it submitted through this client are cancelled too (each with recursive, so their own children follow).
    /// Force reaches only children in worker processes; the others see their tokens cancelled.
    /// </summary>
    void IChildTasks.CancelChildren(string parentTaskId, bool force)
    {
        foreach (var entry in ChildrenOf(parentTaskId))
        {
            if (Client.Submission.TaskSubmitter.TryGet(entry, out var child))
            {
                _ = CancelChildAsync(new ObjectRef<object?>(child.Result), force && child.Spec.ProcessIsolation);
            }
        }
    }

    private async Task CancelChildAsync(ObjectRef child, bool force)
    {
        try
        {
            await CancelAsync(child, force, recursive: true, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The parent's cancel stands; a child that could not be reached runs on, as Ray's would.
            _logger.LogWarning(ex, "Cancelling child task {TaskId} of a cancelled task failed", child.Id);
        }
    }
}
