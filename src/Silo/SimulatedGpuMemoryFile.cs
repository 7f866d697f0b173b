using System.Globalization;

namespace Granary.Silo;

/// <summary>
/// How a `granary run` shell command reports its use of a simulated GPU, since it cannot call
/// <see cref="TaskContext.ReportSimulatedGpuMemoryAsync"/> itself: it writes the bytes it uses now (a decimal
/// number) to the file named by <see cref="Variable"/>, and the task forwards each new figure. For tests and
/// simulations only: on a real GPU the report does nothing and NVML measures the device. Not thread-safe:
/// one task polls it.
/// </summary>
internal sealed class SimulatedGpuMemoryFile : IDisposable
{
    /// <summary>The variable that names the file in the command's environment.</summary>
    public const string Variable = "GRANARY_SIMULATED_GPU_MEMORY_FILE";

    /// <summary>How often the file is read while the command runs: quick enough for a short command's figure, cheap otherwise.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    private long _forwarded = -1;

    public SimulatedGpuMemoryFile(string taskId) =>
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"granary-gpu-memory-{taskId}-{Guid.NewGuid():N}");

    public string Path { get; }

    /// <summary>Forwards the file's figure when it changed; throws <see cref="GpuOutOfMemoryException"/> as the report does.</summary>
    public async ValueTask ForwardAsync(TaskContext context, CancellationToken cancellationToken)
    {
        if (Read() is { } bytes && bytes != _forwarded)
        {
            _forwarded = bytes;
            await context.ReportSimulatedGpuMemoryAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp file left behind is harmless; the command's own result matters more.
        }
    }

    /// <summary>The figure in the file; null while there is none (not written yet, or caught half written).</summary>
    private long? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
    }
}
