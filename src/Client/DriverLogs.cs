using System.Text;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Client;

/// <summary>
/// The client's end of log_to_driver: prints each batch of a job's lines to this process's console, one
/// write per batch and stream, and hands each line to <see cref="GranaryClient.TaskLog"/>. Called on
/// Orleans' threads, one batch per node at a time. Thread-safe.
/// </summary>
internal sealed partial class DriverLogs(bool print, ILogger logger)
{
    public event EventHandler<TaskLogEventArgs>? Line;

    public object? Sender { get; set; }

    public void OnBatch(LogBatch batch)
    {
        StringBuilder? stdout = null, stderr = null;
        var handlers = Line;
        if (batch.Dropped > 0)
        {
            Emit(new TaskLogEventArgs(batch.NodeId, string.Empty, string.Empty, null, $"{batch.Dropped} lines dropped (the node's log buffer was full)", isError: true, batch.Dropped), handlers, ref stdout, ref stderr);
        }

        foreach (var line in batch.Lines)
        {
            Emit(new TaskLogEventArgs(batch.NodeId, line.TaskId, line.TaskName, line.ActorId.Length == 0 ? null : line.ActorId, line.Text, line.Stderr, 0), handlers, ref stdout, ref stderr);
        }

        if (stdout is not null)
        {
            Console.Out.Write(stdout.ToString());
        }

        if (stderr is not null)
        {
            Console.Error.Write(stderr.ToString());
        }
    }

    private void Emit(TaskLogEventArgs line, EventHandler<TaskLogEventArgs>? handlers, ref StringBuilder? stdout, ref StringBuilder? stderr)
    {
        if (print)
        {
            (line.IsError ? stderr ??= new StringBuilder() : stdout ??= new StringBuilder()).Append(line.ToString()).Append('\n');
        }

        try
        {
            handlers?.Invoke(Sender, line);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A TaskLog handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
