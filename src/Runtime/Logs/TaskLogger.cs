using Microsoft.Extensions.Logging;

namespace Granary.Runtime.Logs;

/// <summary>
/// <see cref="TaskContext.Logger"/>: an ILogger whose lines go where the task's Console lines go (its
/// client, or the process's console when the job ships nothing), as "level: message". Warnings and worse
/// count as stderr. Thread-safe.
/// </summary>
internal sealed class TaskLogger(TaskContext context) : ILogger
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

        var message = formatter(state, exception);
        var line = exception is null ? $"{Label(logLevel)}: {message}" : $"{Label(logLevel)}: {message} {exception}";
        var stderr = logLevel >= LogLevel.Warning;
        if (context.Output is { } output)
        {
            output.Write(line, stderr);
            output.Write("\n", stderr);
        }
        else
        {
            (stderr ? ConsoleCapture.Error : ConsoleCapture.Out).WriteLine(line);
        }
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
