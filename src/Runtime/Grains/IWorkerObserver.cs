using Granary.Runtime.Wire;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Runtime.Grains;

/// <summary>A silo's worker process (process isolation), as its silo sees it: the silo pushes tasks to it.</summary>
internal interface IWorkerObserver : IGrainObserver
{
    [ResponseTimeout(GrainTimeouts.Unbounded)]
    Task<TaskReply> RunTask(PushTask push, CancellationToken cancellationToken = default);

    /// <summary>The owner cancelled a task this worker runs (or is about to): its token is cancelled.</summary>
    [OneWay]
    Task CancelTask(string taskId, bool recursive);
}
