using System.Collections.Concurrent;
using System.Diagnostics;
using Granary.Runtime.Serialization;
using Granary.Runtime.Grains;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Workers;

/// <summary>
/// The silo's worker processes for <see cref="Isolation.Process"/>. A few start ahead of need (no GPUs
/// visible); a task with GPUs gets a worker started with exactly its devices in CUDA_VISIBLE_DEVICES.
/// Workers are reused within a job. When one dies mid-task (exit, crash on any thread) only that task
/// fails, as retryable WorkerCrashed, and the pool replaces the worker. Thread-safe.
/// </summary>
internal sealed partial class WorkerPool : IAsyncDisposable
{
    private readonly SiloRuntime _silo;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, WorkerProcess> _all = new(StringComparer.Ordinal);
    private readonly List<WorkerProcess> _idle = [];
    private readonly HashSet<string> _endedJobs = new(StringComparer.Ordinal);
    private int _next;
    private bool _disposed;

    public WorkerPool(SiloRuntime silo)
    {
        _silo = silo;
        _logger = silo.LoggerFactory.CreateLogger("Granary.Workers");
    }

    /// <summary>The process ids of this silo's live worker processes (GPU meters count their use of a device).</summary>
    public IEnumerable<int> Pids => _all.Values.Where(w => !w.Process.HasExited).Select(w => w.Process.Id);

    /// <summary>Worker processes alive now (for tests and status).</summary>
    public int Count => _all.Values.Count(w => !w.Process.HasExited);

    /// <summary>Starts the configured number of unbound workers so the first isolated task need not wait for one.</summary>
    public void Prestart()
    {
        for (var i = 0; i < _silo.Options.PrestartedWorkers; i++)
        {
            lock (_idle)
            {
                _idle.Add(Spawn([]));
            }
        }
    }

    /// <summary>Binds the observer of one of this silo's workers; false for a worker id this silo never started.</summary>
    public bool TryAttach(string workerId, IWorkerObserver observer)
    {
        if (!_all.TryGetValue(workerId, out var worker))
        {
            return false;
        }

        worker.Attach(observer);
        return true;
    }

    /// <summary>
    /// Runs the task on a worker. A cancel of <paramref name="running"/> reaches the worker, which cancels
    /// the task's token; a forced one kills the worker (the next task gets a new one), and the task's
    /// reply is then the caller's to turn into TASK_CANCELLED (<see cref="RunningTask.Outcome"/>).
    /// </summary>
    public async Task<TaskReply> RunAsync(TaskSpec spec, int[] gpuIds, RunningTask running, CancellationToken cancellationToken)
    {
        WorkerProcess worker;
        IWorkerObserver observer;
        try
        {
            worker = Acquire(spec.JobId, gpuIds);
            observer = await worker.Connected.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Crashed(spec, $"no worker process could be started: {ex.Message}");
        }

        try
        {
            var push = new PushTask { LeaseId = worker.Id, Spec = spec };
            push.GpuIds.AddRange(gpuIds);
            using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, worker.Exited);
            using var cancel = running.CancelRequested.Register(static state =>
            {
                var (observer, taskId, running) = ((IWorkerObserver, string, RunningTask))state!;
                _ = observer.CancelTask(taskId, running.Recursive);
            }, (observer, spec.TaskId, running));
            using var force = running.ForceRequested.Register(static state => ((WorkerProcess)state!).Kill(), worker);
            var reply = await observer.RunTask(push, call.Token).ConfigureAwait(false);
            reply.NodeId = _silo.NodeId;
            for (var i = 0; i < reply.Returns.Count; i++)
            {
                var part = reply.Returns[i];
                if (part.ResultCase == TaskReply.ResultOneofCase.Value)
                {
                    reply.Returns[i] = Stamp(_silo.Completed(ReturnParts.ReturnId(spec.TaskId, i), spec.JobId, part.Value), part);
                }
            }

            return reply.ResultCase == TaskReply.ResultOneofCase.Value ? Stamp(_silo.Completed(spec.TaskId, spec.JobId, reply.Value), reply) : reply;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The process died (its exit cancelled the call), or it can no longer be reached: either way
            // the task did not finish there, and that worker is not used again.
            if (!worker.Exited.IsCancellationRequested)
            {
                worker.Kill();
            }

            await WaitForExitAsync(worker).ConfigureAwait(false);
            var exit = worker.Process.HasExited ? worker.ExitDescription() : $"stopped answering ({ex.Message})";
            if (running.ForceRequested.IsCancellationRequested)
            {
                LogKilled(worker.Process.Id, TaskExecutor.TaskName(spec));
                return Crashed(spec, $"worker process {worker.Process.Id} was killed to cancel {TaskExecutor.TaskName(spec)}");
            }

            LogCrashed(worker.Process.Id, exit, spec.Method.DisplayName);
            return Crashed(spec, $"worker process {worker.Process.Id} {exit} while running {TaskExecutor.TaskName(spec)}");
        }
        finally
        {
            Return(worker);
        }
    }

    /// <summary>The job ended: its workers exit (their load contexts die with them).</summary>
    public void JobEnded(string jobId)
    {
        List<WorkerProcess> retired;
        lock (_idle)
        {
            _endedJobs.Add(jobId);
            retired = _idle.Where(w => w.JobId == jobId).ToList();
            _idle.RemoveAll(retired.Contains);
        }

        foreach (var worker in retired)
        {
            Retire(worker);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_idle)
        {
            _disposed = true;
            _idle.Clear();
        }

        foreach (var worker in _all.Values)
        {
            worker.Kill();
        }

        foreach (var worker in _all.Values)
        {
            await WaitForExitAsync(worker).ConfigureAwait(false);
            worker.Process.Dispose();
        }
    }

    private WorkerProcess Acquire(string jobId, int[] gpuIds)
    {
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _idle.RemoveAll(w => !w.IsAlive);
            var worker = _idle.FirstOrDefault(w => w.Serves(jobId, gpuIds))
                ?? _idle.FirstOrDefault(w => w.JobId is null && w.GpuIds.SequenceEqual(gpuIds));
            if (worker is not null)
            {
                _idle.Remove(worker);
                if (worker.JobId is null && gpuIds.Length == 0)
                {
                    // A prestarted worker was taken: start its replacement now, off the task's path.
                    _idle.Add(Spawn([]));
                }
            }
            else
            {
                worker = Spawn(gpuIds);
            }

            worker.JobId = jobId;
            return worker;
        }
    }

    private void Return(WorkerProcess worker)
    {
        lock (_idle)
        {
            if (!_disposed && worker.IsAlive && (worker.JobId is null || !_endedJobs.Contains(worker.JobId)))
            {
                _idle.Add(worker);
                return;
            }
        }

        Retire(worker);
    }

    private void Retire(WorkerProcess worker)
    {
        _all.TryRemove(worker.Id, out _);
        worker.Kill();
        _ = Task.Run(async () =>
        {
            await WaitForExitAsync(worker).ConfigureAwait(false);
            worker.Process.Dispose();
        });
    }

    private WorkerProcess Spawn(int[] gpuIds)
    {
        var id = $"{_silo.NodeId}-w{Interlocked.Increment(ref _next)}";
        var start = _silo.Options.WorkerStartInfo?.Invoke()
            ?? throw new InvalidOperationException("this silo has no worker executable configured (GranarySiloOptions.WorkerStartInfo)");
        var inlineThreshold = _silo.Options.InlineThresholdBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] arguments =
        [
            "worker", "--silo", _silo.Address, "--worker-id", id, "--node-id", _silo.NodeId, "--inline-threshold", inlineThreshold,
            "--cluster-id", _silo.Options.ClusterId, "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Exactly the task's devices, by their index on the node (the silo turned the head's slots into
        // devices), so a node restricted to 2,3 starts its first GPU's worker with 2; empty hides every GPU.
        start.Environment["CUDA_VISIBLE_DEVICES"] = string.Join(',', gpuIds);

        // A worker reaches its silo through the gateway like any client, so on a TLS cluster it needs the
        // node's certificate; it reads the folder from the variable (never the key's contents).
        if (_silo.Options.Tls is { } tls)
        {
            start.Environment[Security.ClusterCertificateFiles.TlsVariable] = tls.Directory;
        }

        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(id, process, gpuIds);
        _all[id] = worker;
        process.OutputDataReceived += (_, e) => Forward(id, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(id, e.Data);
        process.Exited += (_, _) => worker.OnExited($"worker process {id} exited before it connected");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        LogStarted(id, process.Id, start.Environment["CUDA_VISIBLE_DEVICES"] ?? string.Empty);
        return worker;
    }

    private void Forward(string workerId, string? line)
    {
        if (line is not null)
        {
            LogWorkerOutput(workerId, line);
        }
    }

    private static async Task WaitForExitAsync(WorkerProcess worker)
    {
        try
        {
            await worker.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // Reported as "lost its connection" instead of an exit code.
        }
    }

    private TaskReply Crashed(TaskSpec spec, string message) => new()
    {
        NodeId = _silo.NodeId,
        Error = new ErrorInfo { Kind = ErrorKind.WorkerCrashed, Type = typeof(WorkerCrashedException).FullName, Message = message, NodeId = _silo.NodeId, TaskName = TaskExecutor.TaskName(spec) },
    };

    /// <summary>The silo's reply for a worker's result keeps what the worker measured and the refs the result holds.</summary>
    private static TaskReply Stamp(TaskReply reply, TaskReply fromWorker)
    {
        reply.RunMicros = fromWorker.RunMicros;
        reply.NestedRefs.AddRange(fromWorker.NestedRefs);
        return reply;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} started as process {Pid} (CUDA_VISIBLE_DEVICES='{Devices}')")]
    private partial void LogStarted(string workerId, int pid, string devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker process {Pid} {Exit} while running {Task}; the task fails as retryable and the worker is replaced")]
    private partial void LogCrashed(int pid, string exit, string task);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker process {Pid} was killed to force-cancel {Task}; the pool replaces it")]
    private partial void LogKilled(int pid, string task);

    [LoggerMessage(Level = LogLevel.Information, Message = "[{WorkerId}] {Line}")]
    private partial void LogWorkerOutput(string workerId, string line);
}
