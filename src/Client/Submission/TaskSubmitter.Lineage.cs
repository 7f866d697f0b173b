using System.Runtime.ExceptionServices;
using Granary.Runtime.Wire;

namespace Granary.Client.Submission;

/// <summary>
/// Ray's lineage reconstruction, owner side. A task result stored on a node keeps its task, so that when the
/// node dies with the only copy, a reader that finds it gone runs the task again (within its MaxRetries, as
/// in Ray) and reads the new copy. A task's arguments that were lost the same way are computed again first,
/// however far back the chain goes. Only single results of tasks: puts, actor results, multiple returns and
/// stream items fail with ObjectLost when lost.
/// </summary>
internal sealed partial class TaskSubmitter
{
    private void KeepLineage(PendingTask task)
    {
        if (task.Result.Parts is null && !task.Spec.Streaming)
        {
            task.Result.Rebuild = _ => RebuildAsync(task);
        }
    }

    /// <summary>Runs the task of a lost result again and points its entry at the new copy; false when no retry is left.</summary>
    private async Task<bool> RebuildAsync(PendingTask task)
    {
        int retries;
        TaskSpec spec;
        lock (_gate)
        {
            if (task.RetriesLeft <= 0 || _disposed)
            {
                return false;
            }

            retries = --task.RetriesLeft;
            spec = task.Spec.Clone();
            spec.Attempt++;
        }

        await RebuildLostInputsAsync(spec, task).ConfigureAwait(false);
        var again = new Runtime.Objects.ObjectEntry(spec.TaskId, task.Result.Owner);
        var rerun = new PendingTask(spec, again, task.SchedulingKey, task.Request, retries, task.RetryExceptions) { Borrowed = task.Borrowed };
        Submit(rerun);
        await again.Completion.ConfigureAwait(false);
        lock (_gate)
        {
            // The run may have retried on its own (its node died too); those tries count as well.
            task.RetriesLeft = Math.Min(task.RetriesLeft, rerun.RetriesLeft);
            task.Spec = rerun.Spec;
        }

        if (again.Error is not null)
        {
            ExceptionDispatchInfo.Throw(again.Error);
        }

        task.Result.Contained = again.Contained ?? task.Result.Contained;
        task.Result.Relocate(again.Inline, again.Location);

        // The original entry frees the new copy now; the rerun's own entry must not.
        again.HandOver();
        return true;
    }

    /// <summary>True when an argument's copy is on a node known dead and its owner here can compute it again.</summary>
    private bool HasLostInputs(PendingTask task)
    {
        foreach (var argument in task.Spec.Args)
        {
            if (argument.KindCase == Argument.KindOneofCase.Location && _nodes.Get(argument.Location.NodeId).IsDead
                && Input(task, argument.Location.ObjectId)?.Rebuild is not null)
            {
                return true;
            }
        }

        return false;
    }

    private async Task RebuildInputsThenSubmitAsync(PendingTask task)
    {
        try
        {
            var spec = task.Spec.Clone();
            spec.Attempt++;
            await RebuildLostInputsAsync(spec, task).ConfigureAwait(false);
            task.Spec = spec;
            Submit(task);
        }
        catch (Exception ex)
        {
            Fail(task, ex);
        }
    }

    /// <summary>Computes again each argument of <paramref name="spec"/> whose copy was on a dead node, and points the argument at the new copy.</summary>
    private async Task RebuildLostInputsAsync(TaskSpec spec, PendingTask task)
    {
        for (var i = 0; i < spec.Args.Count; i++)
        {
            if (spec.Args[i].KindCase != Argument.KindOneofCase.Location || Input(task, spec.Args[i].Location.ObjectId) is not { } input)
            {
                continue;
            }

            if (input.Location is { } current && _nodes.Get(current.NodeId).IsDead && input.Rebuild is not null)
            {
                await input.RebuildAfterLossAsync(current, new NodeDiedException(current.NodeId, $"Node {current.NodeId} died holding {input.Id}."), CancellationToken.None).ConfigureAwait(false);
            }

            spec.Args[i] = input.Inline is not null ? new Argument { Value = input.Inline } : new Argument { Location = input.Location };
        }
    }

    private static Runtime.Objects.ObjectEntry? Input(PendingTask task, string objectId) =>
        task.Borrowed?.Find(e => e.Id == objectId);
}
