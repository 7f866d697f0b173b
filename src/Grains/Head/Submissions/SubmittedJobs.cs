using Granary.Runtime.Scheduling;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Head.Submissions;

/// <summary>
/// The head's submitted jobs (`granary submit`, Ray Jobs): files uploaded in chunks, a lease for the driver
/// from the <see cref="ResourceScheduler"/> (0 CPUs by default, as Ray's entrypoint_num_cpus), the driver
/// started on the leased node, its output and exit kept here. Everything lives in the head's memory, so a
/// submission outlives the client that submitted it but not the head. Thread-safe.
/// </summary>
internal sealed partial class SubmittedJobs
{
    /// <summary>Ended submissions kept for `granary job list`; the oldest go first past it, so a busy head's memory stays bounded.</summary>
    private const int EndedKept = 1000;

    /// <summary>Most lines one read returns, so a reply stays a small message.</summary>
    private const int LinesPerRead = 2000;

    /// <summary>An upload nobody submitted within this long is dropped (its client died mid-upload).</summary>
    private static readonly TimeSpan AbandonedUpload = TimeSpan.FromMinutes(10);

    private readonly SiloRuntime _silo;
    private readonly ResourceScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Submission> _submissions = new(StringComparer.Ordinal);

    public SubmittedJobs(SiloRuntime silo, ResourceScheduler scheduler)
    {
        _silo = silo;
        _scheduler = scheduler;
        _logger = silo.LoggerFactory.CreateLogger("Granary.Submissions");
    }

    public void AddChunk(SubmissionChunk chunk)
    {
        lock (_uploads)
        {
            var now = Environment.TickCount64;
            foreach (var stale in _uploads.Where(u => now - u.Value.Touched > AbandonedUpload.TotalMilliseconds).Select(u => u.Key).ToList())
            {
                _uploads.Remove(stale);
            }

            if (!_uploads.TryGetValue(chunk.UploadId, out var upload))
            {
                _uploads[chunk.UploadId] = upload = new Upload();
            }

            if (chunk.Offset != upload.Bytes.Length)
            {
                throw new GranaryException($"Submission upload {chunk.UploadId} got a piece at offset {chunk.Offset}, expected {upload.Bytes.Length}: send the pieces in order.");
            }

            if (upload.Bytes.Length + chunk.Data.Length > GranaryDefaults.MaxSubmissionBytes)
            {
                _uploads.Remove(chunk.UploadId);
                throw new GranaryException(TooLarge(upload.Bytes.Length + chunk.Data.Length));
            }

            chunk.Data.WriteTo(upload.Bytes);
            upload.Touched = now;
        }
    }

    /// <summary>The refusal of files over the limit, naming it; the client says the same before it uploads.</summary>
    public static string TooLarge(long bytes) =>
        $"The submission's files are {bytes / (1024.0 * 1024):0.#} MiB zipped, over the limit of {GranaryDefaults.MaxSubmissionBytes / (1024 * 1024)} MiB (GranaryDefaults.MaxSubmissionBytes). Ship only the app's build output: keep data sets out of its folder and read them from shared storage.";

    public SubmissionInfo Submit(SubmitJob request)
    {
        if (request.Arguments.Count == 0 || string.IsNullOrWhiteSpace(request.Arguments[0]))
        {
            throw new ArgumentException("A submission needs an entry assembly: `granary submit -- dotnet MyApp.dll args`.");
        }

        if (!(request.Cpus >= 0) || !(request.Gpus >= 0))
        {
            throw new ArgumentException($"A submission asks for 0 or more CPUs and GPUs, not {request.Cpus} CPUs and {request.Gpus} GPUs.");
        }

        byte[] package;
        lock (_uploads)
        {
            if (!_uploads.Remove(request.UploadId, out var upload))
            {
                throw new GranaryException($"No files were uploaded as {request.UploadId} (or they were dropped after {AbandonedUpload.TotalMinutes:0} minutes); submit again.");
            }

            package = upload.Bytes.ToArray();
        }

        if (package.Length != request.PackageBytes)
        {
            throw new GranaryException($"Submission upload {request.UploadId} holds {package.Length} bytes, not the {request.PackageBytes} its client sent; submit again.");
        }

        var info = new SubmissionInfo
        {
            SubmissionId = "sub-" + Guid.NewGuid().ToString("N")[..12],
            State = SubmissionState.Pending,
            Entrypoint = request.Entrypoint,
            SubmittedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Cpus = request.Cpus,
            Gpus = request.Gpus,
        };
        var submission = new Submission(info, package, request, GranaryDefaults.SubmissionLogLines);
        lock (_submissions)
        {
            _submissions[submission.Id] = submission;
            ForgetOldLocked();
        }

        LogSubmitted(submission.Id, request.Entrypoint, package.Length);
        _ = RunAsync(submission);
        return submission.Snapshot();
    }

    public SubmissionInfo Get(string id) => Find(id).Snapshot();

    public SubmissionList List()
    {
        var list = new SubmissionList();
        lock (_submissions)
        {
            list.Submissions.AddRange(_submissions.Values.Select(s => s.Snapshot()).OrderBy(s => s.SubmittedUnixMs));
        }

        return list;
    }

    public async Task<SubmissionLogs> ReadLogsAsync(ReadSubmissionLogs read, CancellationToken cancellationToken)
    {
        var submission = Find(read.SubmissionId);
        var logs = submission.Read(read.FromIndex, LinesPerRead, out var changed);
        if (logs.Lines.Count > 0 || Submission.IsEnded(logs.Info.State) || read.WaitMs <= 0)
        {
            return logs;
        }

        try
        {
            await changed.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(read.WaitMs, 30_000)), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing new: the reader asks again.
        }

        return submission.Read(read.FromIndex, LinesPerRead, out _);
    }

    public async Task<SubmissionInfo> StopAsync(string id)
    {
        var submission = Find(id);
        if (!submission.RequestStop())
        {
            return submission.Snapshot();
        }

        LogStopping(id);
        if (submission.Snapshot().State == SubmissionState.Running)
        {
            await StopDriverAsync(submission).ConfigureAwait(false);
        }
        else
        {
            // Waiting for a lease: the wait ends STOPPED. One already placed is stopped once its start returns.
            await submission.Pending.CancelAsync().ConfigureAwait(false);
        }

        return submission.Snapshot();
    }

    public SubmissionChunk ReadPackage(string id, long offset, int count)
    {
        var package = Find(id).Package ?? throw new GranaryException($"Submission {id} has no files to read any more (its driver started or ended).");
        var start = (int)Math.Clamp(offset, 0, package.Length);
        var length = Math.Clamp(count, 0, package.Length - start);
        return new SubmissionChunk { UploadId = id, Offset = start, Data = Google.Protobuf.ByteString.CopyFrom(package, start, length) };
    }

    public void AddLines(DriverLines lines)
    {
        var submission = Find(lines.SubmissionId);
        submission.Append(lines.Dropped > 0 ? [$"[granary] {lines.Dropped} lines dropped: the driver wrote faster than its node could send them", .. lines.Lines] : lines.Lines);
    }

    public void Exited(DriverExited exited)
    {
        var submission = Find(exited.SubmissionId);
        var (state, message) = exited switch
        {
            { Error.Length: > 0 } => (SubmissionState.Failed, exited.Error),
            _ when submission.StopRequested => (SubmissionState.Stopped, "stopped by `granary job stop`"),
            { ExitCode: 0 } => (SubmissionState.Succeeded, string.Empty),
            _ => (SubmissionState.Failed, $"the driver exited with code {exited.ExitCode}"),
        };
        End(submission, state, message, exited.HasExitCode ? exited.ExitCode : null);
    }

    /// <summary>A node died: the drivers it ran failed, saying so (their processes died with it, or are out of reach).</summary>
    public void NodeDied(string nodeId, string reason)
    {
        List<Submission> running;
        lock (_submissions)
        {
            running = [.. _submissions.Values.Where(s => !s.Ended && s.NodeId == nodeId)];
        }

        foreach (var submission in running)
        {
            End(submission, SubmissionState.Failed, $"its node {nodeId} died: {reason}", exitCode: null);
        }
    }

    private async Task RunAsync(Submission submission)
    {
        var request = submission.Request;
        LeaseGrant grant;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(submission.Pending.Token, _silo.Stopping);
            grant = await _scheduler.RequestAsync(submission.Id, new ResourceSet([new(ResourceSet.Cpu, request.Cpus), new(ResourceSet.Gpu, request.Gpus)]), new Runtime.Wire.Placement(), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (submission.StopRequested)
        {
            End(submission, SubmissionState.Stopped, "stopped by `granary job stop` before it started", exitCode: null);
            return;
        }
        catch (Exception ex)
        {
            End(submission, SubmissionState.Failed, "it could not be scheduled: " + ex.Message, exitCode: null);
            return;
        }

        submission.LeaseId = grant.LeaseId;
        submission.Placed(grant.NodeId);
        if (submission.StopRequested)
        {
            End(submission, SubmissionState.Stopped, "stopped by `granary job stop` before it started", exitCode: null);
            return;
        }

        var start = new StartDriver
        {
            SubmissionId = submission.Id,
            PackageBytes = request.PackageBytes,
            HeadAddress = _silo.Address,
        };
        start.Arguments.AddRange(request.Arguments);
        start.Environment.Add(request.Environment);
        start.GpuIds.AddRange(grant.GpuIds);
        try
        {
            await _silo.Node(grant.NodeId).StartDriver(start, _silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(submission, SubmissionState.Failed, $"its driver could not start on node {grant.NodeId}: {ex.Message}", exitCode: null);
            return;
        }
        finally
        {
            submission.DropPackage();
        }

        if (submission.Started())
        {
            LogStarted(submission.Id, grant.NodeId);
        }

        if (submission.StopRequested && !submission.Ended)
        {
            await StopDriverAsync(submission).ConfigureAwait(false);
        }
    }

    private async Task StopDriverAsync(Submission submission)
    {
        try
        {
            await _silo.Node(submission.NodeId).StopDriver(submission.Id, _silo.Stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Its node is gone: the driver went with it.
            End(submission, SubmissionState.Stopped, $"stopped by `granary job stop`; its node {submission.NodeId} did not answer: {ex.Message}", exitCode: null);
        }
    }

    private void End(Submission submission, SubmissionState state, string message, int? exitCode)
    {
        if (!submission.End(state, message, exitCode))
        {
            return;
        }

        if (submission.LeaseId is { } lease)
        {
            _scheduler.Return(lease);
        }

        LogEnded(submission.Id, state.ToString().ToUpperInvariant(), message);
    }

    private Submission Find(string id)
    {
        lock (_submissions)
        {
            return _submissions.TryGetValue(id, out var submission)
                ? submission
                : throw new GranaryException($"No submitted job has the id '{id}' on this head; `granary job list` lists them (a restarted head has forgotten earlier ones).");
        }
    }

    private void ForgetOldLocked()
    {
        var ended = _submissions.Values.Where(s => s.Ended).ToList();
        foreach (var old in ended.OrderBy(s => s.Snapshot().EndedUnixMs).Take(Math.Max(0, ended.Count - EndedKept)))
        {
            _submissions.Remove(old.Id);
        }
    }

    private sealed class Upload
    {
        public MemoryStream Bytes { get; } = new();

        public long Touched { get; set; } = Environment.TickCount64;
    }
}
