using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Drivers;

/// <summary>
/// The submitted jobs' drivers this node runs (`granary submit`): each gets a folder of its own under the
/// temp folder, where the head's zipped files unpack, and runs there as `dotnet ARGS` with GRANARY_ADDRESS
/// (the head's gateway), GRANARY_JOB_ID, the user's variables and, on a TLS cluster, GRANARY_TLS (the node's
/// certificate folder, as worker processes get it). The folder goes when the driver ends; a silo that stops
/// kills its drivers. Thread-safe.
/// </summary>
internal sealed partial class DriverProcesses : IAsyncDisposable
{
    private readonly SiloRuntime _silo;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, DriverProcess> _running = new(StringComparer.Ordinal);

    public DriverProcesses(SiloRuntime silo)
    {
        _silo = silo;
        _logger = silo.LoggerFactory.CreateLogger("Granary.Drivers");
    }

    /// <summary>Where drivers' folders go: one folder per node, so silos sharing a machine never share one.</summary>
    public string Root => Path.Combine(Path.GetTempPath(), "granary-jobs", _silo.NodeId);

    /// <summary>Unpacks the files and starts the driver; answers once it runs, or throws saying why it cannot.</summary>
    public async Task StartAsync(StartDriver start, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Root, start.SubmissionId);
        try
        {
            await UnpackAsync(start, folder, cancellationToken).ConfigureAwait(false);
            var entry = Path.GetFullPath(Path.Combine(folder, start.Arguments[0]));
            if (!entry.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(entry))
            {
                throw new GranaryException($"The submitted files have no {start.Arguments[0]} at their top level; submit `dotnet PATH.dll` with the app's build output folder.");
            }

            var driver = new DriverProcess(start.SubmissionId, StartInfo(start, folder), folder, (lines, token) => _silo.HeadGrain.ShipDriverLines(lines, token), Exited, _logger);
            if (!_running.TryAdd(start.SubmissionId, driver))
            {
                throw new GranaryException($"Job {start.SubmissionId} already runs on node {_silo.NodeId}.");
            }

            try
            {
                driver.Start();
            }
            catch (Exception)
            {
                _running.TryRemove(start.SubmissionId, out _);
                throw;
            }

            LogStarted(start.SubmissionId, driver.Pid, folder);
        }
        catch (Exception) when (!_running.ContainsKey(start.SubmissionId))
        {
            TryDelete(folder);
            throw;
        }
    }

    public void Stop(string submissionId)
    {
        if (_running.TryGetValue(submissionId, out var driver))
        {
            LogStopping(submissionId, driver.Pid);
            driver.Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var driver in _running.Values)
        {
            driver.Kill();
        }

        try
        {
            await Task.WhenAll(_running.Values.Select(d => d.Completion)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The head hears of them as their node's death.
        }
    }

    private Task Exited(DriverExited exited, CancellationToken cancellationToken)
    {
        _running.TryRemove(exited.SubmissionId, out _);
        return _silo.HeadGrain.DriverExited(exited, cancellationToken);
    }

    private async Task UnpackAsync(StartDriver start, string folder, CancellationToken cancellationToken)
    {
        TryDelete(folder);
        Directory.CreateDirectory(folder);
        var zip = folder + ".zip";
        var file = File.Create(zip);
        await using (file.ConfigureAwait(false))
        {
            for (long offset = 0; offset < start.PackageBytes;)
            {
                var chunk = await _silo.HeadGrain.ReadSubmissionPackage(start.SubmissionId, offset, GranaryDefaults.SubmissionChunkBytes, cancellationToken).ConfigureAwait(false);
                if (chunk.Data.Length == 0)
                {
                    throw new GranaryException($"The head sent {offset} of job {start.SubmissionId}'s {start.PackageBytes} bytes of files, then nothing.");
                }

                chunk.Data.WriteTo(file);
                offset += chunk.Data.Length;
            }
        }

        try
        {
            // Refuses entries that would land outside the folder.
            ZipFile.ExtractToDirectory(zip, folder);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    private ProcessStartInfo StartInfo(StartDriver start, string folder)
    {
        var info = new ProcessStartInfo(DotnetHost.Find()) { WorkingDirectory = folder };
        foreach (var argument in start.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in start.Environment)
        {
            info.Environment[name] = value;
        }

        // Granary's own variables win over the user's: they are how the driver finds its cluster.
        info.Environment["GRANARY_ADDRESS"] = start.HeadAddress;
        info.Environment["GRANARY_JOB_ID"] = start.SubmissionId;
        if (_silo.Options.Tls is { } tls)
        {
            info.Environment[Security.ClusterCertificateFiles.TlsVariable] = tls.Directory;
        }

        if (start.GpuIds.Count > 0)
        {
            // The leased GPUs, as this node numbers its devices (the head's slots turned into devices).
            info.Environment["CUDA_VISIBLE_DEVICES"] = string.Join(',', _silo.Gpus.DeviceIndexes(start.GpuIds));
            info.Environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        }

        return info;
    }

    private void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(folder, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Driver of job {SubmissionId} started as process {Pid} in {Folder}")]
    private partial void LogStarted(string submissionId, int pid, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the driver of job {SubmissionId} (process {Pid} and its children)")]
    private partial void LogStopping(string submissionId, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the driver's folder {Folder}: {Reason}")]
    private partial void LogCleanupFailed(string folder, string reason);
}
