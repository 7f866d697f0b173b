using System.Diagnostics;
using Granary.Runtime.Grains;

namespace Granary.Grains.Workers;

/// <summary>
/// One worker process of a silo, for process isolation. It is bound to a job (and a GPU set, fixed at start
/// through CUDA_VISIBLE_DEVICES) on first use and reused for that job. Thread-safe.
/// </summary>
internal sealed class WorkerProcess(string id, Process process, int[] gpuIds)
{
    private readonly TaskCompletionSource<IWorkerObserver> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _exited = new();

    public string Id { get; } = id;

    public Process Process { get; } = process;

    public int[] GpuIds { get; } = gpuIds;

    /// <summary>The job whose code this worker has loaded; null until first used.</summary>
    public string? JobId { get; set; }

    /// <summary>The worker's observer, once the process has started its client and attached.</summary>
    public Task<IWorkerObserver> Connected => _connected.Task;

    /// <summary>Cancelled when the process exits: a call in flight to it fails at once instead of waiting.</summary>
    public CancellationToken Exited => _exited.Token;

    public bool IsAlive => !_exited.IsCancellationRequested && !Process.HasExited;

    public void Attach(IWorkerObserver worker) => _connected.TrySetResult(worker);

    /// <summary>The process exited (or will not be used again).</summary>
    public void OnExited(string reason)
    {
        _connected.TrySetException(new InvalidOperationException(reason));
        _exited.Cancel();
    }

    public bool Serves(string jobId, int[] gpuIds) => JobId == jobId && GpuIds.SequenceEqual(gpuIds);

    public string ExitDescription()
    {
        try
        {
            return Process.HasExited ? $"exited with code {Process.ExitCode}" : "stopped answering";
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
