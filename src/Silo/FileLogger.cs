using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>One category's logger over a <see cref="FileLoggerProvider"/>; the factory's filters decide what reaches it.</summary>
internal sealed class FileLogger(FileLoggerProvider file, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception).ReplaceLineEndings(" ");
        var line = $"{Label(logLevel)}: {category}[{eventId.Id}] {message}";
        file.WriteLine(exception is null ? line : line + " " + exception.ToString().ReplaceLineEndings(" | "));
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
