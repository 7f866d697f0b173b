using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>
/// `granary start --log-dir`: the silo's log, one line per entry in the console's single-line shape with a
/// UTC time in front, appended to PATH/NODE-ID.log and flushed line by line, so a silo that is killed
/// leaves everything it logged. Microsoft.Extensions.Logging has no file provider of its own, and one
/// file needs no package (docs/dependencies.md). Thread-safe.
/// </summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private bool _disposed;

    private FileLoggerProvider(string path)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false)) { AutoFlush = true };
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Creates <paramref name="directory"/> if needed and opens NODE-ID.log there.</summary>
    public static FileLoggerProvider Open(string directory, string nodeId)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return new FileLoggerProvider(System.IO.Path.Combine(directory, nodeId + ".log"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--log-dir {directory}: cannot write the log file there ({ex.Message})", ex);
        }
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    /// <summary>One line as it is, with the time in front (the silo's own `granary:` lines).</summary>
    public void WriteLine(string line) => Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + " " + line);

    public void Append(string line)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _writer.WriteLine(line);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _writer.Dispose();
            }
        }
    }
}
