using System.Diagnostics;
using System.Threading.Channels;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Drivers;

/// <summary>
/// One submitted job's driver process on this node: its stdout and stderr lines go to the head in batches
/// (one batch in flight at a time, so they arrive in order), then its exit. A driver that writes faster than
/// the head takes its lines loses lines, counted, rather than block on a full pipe. Thread-safe.
/// </summary>
internal sealed partial class DriverProcess
{
    /// <summary>Most lines in one batch to the head.</summary>
    private const int BatchLines = 2000;

    private readonly Process _process;
    private readonly string _folder;
    private readonly Func<DriverLines, CancellationToken, Task> _ship;
    private readonly Func<DriverExited, CancellationToken, Task> _exited;
    private readonly ILogger _logger;
    private readonly Channel<string> _lines;
    private long _dropped;

    public DriverProcess(string submissionId, ProcessStartInfo start, string folder, Func<DriverLines, CancellationToken, Task> ship, Func<DriverExited, CancellationToken, Task> exited, ILogger logger)
    {
        SubmissionId = submissionId;
        _folder = folder;
        _ship = ship;
        _exited = exited;
        _logger = logger;
        _lines = Channel.CreateBounded<string>(
            new BoundedChannelOptions(GranaryDefaults.LogBufferLines) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
    }

    public string SubmissionId { get; }

    /// <summary>Completes once the exit went to the head.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public int Pid => _process.Id;

    /// <summary>Starts the process; throws (Win32Exception) when it cannot.</summary>
    public void Start()
    {
        _process.Start();
        // A driver gets no input; one that reads stdin sees its end at once.
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Completion = RunAsync();
    }

    /// <summary>Kills the driver and every process it started.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited already.
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Writer.TryWrite(line.Length > GranaryDefaults.MaxLogLineChars ? line[..GranaryDefaults.MaxLogLineChars] : line);
        }
    }

    private async Task RunAsync()
    {
        var pump = PumpAsync();
        // Returns once the process exited and both pipes reached their end, so every line was added.
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _lines.Writer.TryComplete();
        await pump.ConfigureAwait(false);
        var exit = new DriverExited { SubmissionId = SubmissionId, HasExitCode = true, ExitCode = _process.ExitCode };
        LogExited(SubmissionId, _process.ExitCode);
        _process.Dispose();
        await SendAsync(token => _exited(exit, token), attempts: 20).ConfigureAwait(false);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_folder, ex.Message);
        }
    }

    private async Task PumpAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // One tick to gather what else comes: a batch a tick, never a call a line.
            await Task.Delay(GranaryDefaults.LogFlushInterval).ConfigureAwait(false);
            while (reader.TryPeek(out _))
            {
                var batch = new DriverLines { SubmissionId = SubmissionId };
                while (batch.Lines.Count < BatchLines && reader.TryRead(out var line))
                {
                    batch.Lines.Add(line);
                }

                batch.Dropped = Interlocked.Exchange(ref _dropped, 0);
                await SendAsync(token => _ship(batch, token), attempts: 5).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends to the head, again after a pause when it does not answer (it may be restarting); gives up after <paramref name="attempts"/>.</summary>
    private async Task SendAsync(Func<CancellationToken, Task> send, int attempts)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await send(timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < attempts)
            {
                LogSendFailed(SubmissionId, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogSendFailed(SubmissionId, ex.Message);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Driver of job {SubmissionId} exited with code {ExitCode}")]
    private partial void LogExited(string submissionId, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the head about job {SubmissionId}'s driver: {Reason}")]
    private partial void LogSendFailed(string submissionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the driver's folder {Folder}: {Reason}")]
    private partial void LogCleanupFailed(string folder, string reason);
}
