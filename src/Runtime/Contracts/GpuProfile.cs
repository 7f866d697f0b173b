namespace Granary;

/// <summary>
/// One job type's GPU memory profile as the head keeps it (<c>GranaryClient.GetGpuProfilesAsync</c>,
/// <c>granary status</c>). <see cref="State"/>: "known" (measured by a successful run alone on a device,
/// packed by it), "profiling" (a run measuring it now; calls of the type wait), "reprofile" (it outgrew its
/// profile or ran out of memory beside others: the next run measures it again alone), "unknown" (never
/// measured, or every measuring run failed: its calls keep running one at a time, alone).
/// </summary>
/// <param name="JobType">Assembly::Type.Method(parameters), then #key for <see cref="GpuMemory.ProfiledAs"/>.</param>
/// <param name="PeakBytes">The profile: the measured peak (raised after out-of-memory failures); 0 when none.</param>
/// <param name="Runs">Successful runs of the type seen by the head.</param>
/// <param name="Failures">Measuring runs that failed (so gave no profile).</param>
/// <param name="OutOfMemory">Runs that ran out of GPU memory.</param>
/// <param name="Outgrown">Packed runs that used more than their reservation.</param>
/// <param name="LastError">The last failure's type and message; empty when none.</param>
public sealed record GpuProfile(string JobType, string State, long PeakBytes, int Runs, int Failures, int OutOfMemory, int Outgrown, string LastError);
