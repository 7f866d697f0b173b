using Microsoft.Extensions.Logging;

namespace Granary.Grains.Hosting;

/// <summary>
/// Wraps a silo's logger factory so the loggers Orleans writes a line with for every bad or refused connection
/// (a failed TLS handshake, a connection closed before its preamble) write at most <see cref="Burst"/> lines
/// a window; the rest are counted and summed up in one line before the first line of a later window. A peer that opens
/// connections in a loop then costs a few lines a minute instead of one per connection. Every other
/// category passes through untouched. Thread-safe: each limited category keeps one set of counters, under a lock.
/// </summary>
internal sealed class ConnectionLogLimiter(ILoggerFactory inner, TimeSpan window, int burst) : ILoggerFactory
{
    public const int DefaultBurst = 5;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(1);

    /// <summary>Categories that log once per connection; the TLS middleware's, and Orleans' connection's own.</summary>
    private static readonly string[] PerConnection = ["Orleans.Connections.Security.", "Orleans.Runtime.Messaging.Connection"];

    public ConnectionLogLimiter(ILoggerFactory inner)
        : this(inner, DefaultWindow, DefaultBurst)
    {
    }

    public int Burst => burst;

    public static bool IsPerConnection(string category) =>
        PerConnection.Any(p => p.EndsWith('.') ? category.StartsWith(p, StringComparison.Ordinal) : category == p);

    // One budget per category, however many loggers Orleans creates for it (each TLS listener makes its own).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Limited> _limited = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) =>
        IsPerConnection(categoryName)
            ? _limited.GetOrAdd(categoryName, c => new Limited(inner.CreateLogger(c), c, window, burst))
            : inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The inner factory belongs to whoever passed it in.
    public void Dispose()
    {
    }

    private sealed class Limited(ILogger inner, string category, TimeSpan window, int burst) : ILogger
    {
        private readonly Lock _gate = new();
        private long _windowStart = Environment.TickCount64;
        private int _written;
        private int _suppressed;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            int summary;
            lock (_gate)
            {
                var now = Environment.TickCount64;
                summary = 0;
                if (now - _windowStart >= (long)window.TotalMilliseconds)
                {
                    summary = _suppressed;
                    _windowStart = now;
                    _written = 0;
                    _suppressed = 0;
                }

                if (_written >= burst)
                {
                    _suppressed++;
                    return;
                }

                _written++;
            }

            if (summary > 0)
            {
                inner.Log(LogLevel.Warning, eventId, $"{summary} more lines of {category} (one per bad or refused connection) were not written in the last {window.TotalSeconds:0} s", null, (s, _) => s);
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
