using System.Diagnostics;
using Granary.Runtime.Transport;

namespace Granary.Grains.Workers;

/// <summary>
/// One worker process of a silo, for process isolation. It is bound to a job (and a GPU set, fixed at start
/// through CUDA_VISIBLE_DEVICES) on first use and reused for that job. Thread-safe.
/// </summary>
internal sealed class WorkerProcess(string id, Process process, int[] gpuIds)
{
    private readonly TaskCompletionSource<Connection> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public Process Process { get; } = process;

    public int[] GpuIds { get; } = gpuIds;

    /// <summary>The job whose code this worker has loaded; null until first used.</summary>
    public string? JobId { get; set; }

    public Task<Connection> Connected => _connected.Task;

    public bool IsAlive => !Process.HasExited && !(Connected.IsCompletedSuccessfully && Connected.Result.IsClosed);

    public void Attach(Connection connection) => _connected.TrySetResult(connection);

    public void Fail(string reason) => _connected.TrySetException(new InvalidOperationException(reason));

    public bool Serves(string jobId, int[] gpuIds) => JobId == jobId && GpuIds.SequenceEqual(gpuIds);

    public string ExitDescription()
    {
        try
        {
            return Process.HasExited ? $"exited with code {Process.ExitCode}" : "lost its connection";
        }
        catch (InvalidOperationException)
        {
            return "is gone";
        }
    }

    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
