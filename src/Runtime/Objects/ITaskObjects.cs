using Granary.Runtime.Wire;

namespace Granary.Runtime.Objects;

/// <summary>The objects of one job in a process that runs its tasks: what <see cref="TaskContext.Put{T}"/> stores into.</summary>
internal interface ITaskObjects : IObjectOwner
{
    string JobId { get; }

    /// <summary>The process's way into the cluster, for the job's in-cluster client (actor handles read here call through it).</summary>
    IClusterAccess? Cluster { get; }

    /// <summary>Stores a value put by a running task: inline when small, else in the node's object store.</summary>
    ObjectEntry Put(object? value, Type declaredType);

    /// <summary>Describes the refs a task's result holds for its reply, handing over to the caller the objects put here.</summary>
    List<NestedRef> HandOver(IReadOnlyList<ObjectEntry> contained);
}
