using Granary.Runtime.Wire;
using Orleans;

namespace Granary.Runtime.Grains;

/// <summary>A silo's worker process (process isolation), as its silo sees it: the silo pushes tasks to it.</summary>
internal interface IWorkerObserver : IGrainObserver
{
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReply> RunTask(PushTask push, CancellationToken cancellationToken = default);
}
