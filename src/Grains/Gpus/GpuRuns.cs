using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Gpus;

/// <summary>
/// Runs a task that came on a GPU memory lease: measures its peak on the device and tells the head, which
/// keeps, raises or drops its job type's profile (<c>HeadGrain.ReportGpuUse</c>). The report goes before
/// the reply, so by the time the owner hears of the run the head knows what it measured. A profiling run
/// of a method with a stand-in ([ProfileGpuMemory(StandIn = ...)]) runs the stand-in first, alone, and
/// reports that; the method itself then runs on the same device.
/// </summary>
internal static partial class GpuRuns
{
    public static async Task<TaskReply> RunAsync(SiloRuntime silo, string leaseId, GpuMemoryGrant grant, TaskSpec spec, int[] gpuIds, Func<TaskSpec, Task<TaskReply>> run)
    {
        var device = gpuIds.Length > 0 ? gpuIds[0] : -1;
        var profiling = grant.Profiling;
        if (profiling && spec.GpuProfileStandIn is { } standIn && !spec.Streaming)
        {
            var stand = spec.Clone();
            stand.Method = standIn;
            stand.TaskId = spec.TaskId + ".profile";
            stand.GpuProfileStandIn = null;
            stand.NumReturns = 0;
            var (standReply, standPeak) = await MeasureAsync(silo, stand, device, run).ConfigureAwait(false);
            var standOutcome = OutcomeOf(standReply);
            await ReportAsync(silo, leaseId, grant, stand, standPeak, standOutcome, standReply, profiling: true).ConfigureAwait(false);

            // The stand-in's result is not the task's: only its measurement counts.
            if (standReply.ResultCase == TaskReply.ResultOneofCase.Location)
            {
                silo.Store.Free(standReply.Location.ObjectId);
            }

            // When the stand-in could not give a profile, the method's own run is the profiling run.
            profiling = standOutcome != GpuRunOutcome.Succeeded;
        }

        var (reply, peak) = await MeasureAsync(silo, spec, device, run).ConfigureAwait(false);
        await ReportAsync(silo, leaseId, grant, spec, peak, OutcomeOf(reply), reply, profiling).ConfigureAwait(false);
        return reply;
    }

    private static async Task<(TaskReply Reply, long Peak)> MeasureAsync(SiloRuntime silo, TaskSpec spec, int device, Func<TaskSpec, Task<TaskReply>> run)
    {
        using var meter = new GpuUseMeter(silo, spec.TaskId, device);
        var reply = await run(spec).ConfigureAwait(false);
        return (reply, meter.End());
    }

    public static GpuRunOutcome OutcomeOf(TaskReply reply) => reply.Error?.Kind switch
    {
        null => GpuRunOutcome.Succeeded,
        ErrorKind.GpuOutOfMemory => GpuRunOutcome.OutOfMemory,
        ErrorKind.TaskCancelled or ErrorKind.NodeDied or ErrorKind.WorkerCrashed or ErrorKind.PlacementGroupRemoved => GpuRunOutcome.Interrupted,
        _ => GpuRunOutcome.Failed,
    };

    private static async Task ReportAsync(SiloRuntime silo, string leaseId, GpuMemoryGrant grant, TaskSpec spec, long peak, GpuRunOutcome outcome, TaskReply reply, bool profiling)
    {
        var report = new GpuUseReport
        {
            LeaseId = leaseId,
            NodeId = silo.NodeId,
            JobType = grant.JobType,
            PeakBytes = peak,
            Outcome = outcome,
            Error = reply.Error is { } error ? $"{error.Type}: {error.Message}" : string.Empty,
            Profiling = profiling,
            ReservedBytes = grant.ReservedBytes,
            TaskName = TaskExecutor.TaskName(spec),
        };

        try
        {
            await silo.HeadGrain.ReportGpuUse(report, silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The head is away: its profile misses this run, and the lease's return ends the profiling.
            LogReportFailed(silo.GpuLogger, grant.JobType, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report GPU use of job type {JobType} to the head: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, string jobType, string reason);
}
