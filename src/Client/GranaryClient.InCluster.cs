using System.Collections.Concurrent;
using Granary.Client.Code;
using Granary.Runtime.Objects;

namespace Granary;

public sealed partial class GranaryClient
{
    // In-cluster only: the tasks each running task (by its TaskContext.TaskId) submitted and that have not
    // finished, so work can be followed from a parent to its children (recursive cancellation builds on it).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ObjectEntry>> _childrenOf = new(StringComparer.Ordinal);

    /// <summary>True for the client a task gets from <c>TaskContext.Client</c>; false for a driver's.</summary>
    public bool IsInCluster => _taskObjects is not null;

    /// <summary>
    /// The job's in-cluster client in the process that runs <paramref name="context"/>'s task: one per job per
    /// process, made on first use over that process's own Orleans client and disposed when the job ends there.
    /// </summary>
    internal static GranaryClient InCluster(TaskContext context)
    {
        if (context.Cluster is not { } cluster || context.Objects is not { } objects)
        {
            throw new InvalidOperationException("This TaskContext was not made by a Granary node, so it has no client; use TaskContext.Current inside a task or actor call.");
        }

        return InCluster(cluster, context.JobId, objects);
    }

    /// <summary>The client that a value read by <paramref name="reader"/> calls through: the driver's own, or the job's in-cluster one.</summary>
    internal static GranaryClient ForReader(IObjectOwner reader) => reader switch
    {
        Client.ClientObjects { Client: { } client } => client,
        ITaskObjects { Cluster: { } cluster } objects => InCluster(cluster, objects.JobId, objects),
        _ => throw new InvalidOperationException("An actor handle was read where no Granary client can call it; read it in a task, an actor call or a GranaryClient."),
    };

    private static GranaryClient InCluster(IClusterAccess cluster, string jobId, ITaskObjects objects)
    {
        return cluster.ClientFor(jobId, () =>
        {
            // The client's timers must not capture the creating task's flow: it holds that task's context and
            // the job's collectible code, which would then stay loaded for as long as the timers live.
            using (ExecutionContext.SuppressFlow())
            {
                return new GranaryClient(jobId, cluster.Orleans, objects, new LoadedJobCode(() => cluster.ManifestVersion(jobId)), new ClientOptions { LocalNodeId = cluster.NodeId });
            }
        });
    }

    /// <summary>The result entries of the unfinished tasks that <paramref name="parentTaskId"/> submitted.</summary>
    internal IReadOnlyCollection<ObjectEntry> ChildrenOf(string parentTaskId) =>
        _childrenOf.TryGetValue(parentTaskId, out var children) ? [.. children.Values] : [];

    /// <summary>Notes that the task running here now submitted <paramref name="child"/>; forgotten once it finishes.</summary>
    private void RecordChild(ObjectEntry child)
    {
        if (_taskObjects is null || TaskContext.Current?.TaskId is not { } parent)
        {
            return;
        }

        var children = _childrenOf.GetOrAdd(parent, static _ => new(StringComparer.Ordinal));
        children[child.Id] = child;
        _ = child.Completion.ContinueWith(
            (_, state) =>
            {
                var (self, parentId, childId, set) = ((GranaryClient, string, string, ConcurrentDictionary<string, ObjectEntry>))state!;
                set.TryRemove(childId, out ObjectEntry? _);
                if (set.IsEmpty)
                {
                    self._childrenOf.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, ObjectEntry>>(parentId, set));
                }
            },
            (this, parent, child.Id, children),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
