using System.Text;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Logs;

/// <summary>
/// What one task or actor call writes (Console and its logger), cut into lines for its job's client.
/// Made on the first write only, so a task that writes nothing costs nothing. A partial line waits for
/// its newline, or for the end of the task (<see cref="Flush"/>). Thread-safe: a task's own threads may
/// write at once.
/// </summary>
internal sealed class TaskOutput(LogShipper shipper, string jobId, string taskId, string taskName, string? actorId)
{
    private readonly Lock _gate = new();
    private StringBuilder? _out;
    private StringBuilder? _err;

    public void Write(ReadOnlySpan<char> text, bool stderr)
    {
        lock (_gate)
        {
            var pending = stderr ? _err : _out;
            int newline;
            while ((newline = text.IndexOf('\n')) >= 0)
            {
                var line = text[..newline];
                if (pending is { Length: > 0 })
                {
                    pending.Append(line);
                    Ship(pending.ToString(), stderr);
                    pending.Clear();
                }
                else
                {
                    Ship(line.ToString(), stderr);
                }

                text = text[(newline + 1)..];
            }

            if (!text.IsEmpty)
            {
                pending ??= new StringBuilder();
                pending.Append(text);
                if (stderr)
                {
                    _err = pending;
                }
                else
                {
                    _out = pending;
                }
            }
        }
    }

    /// <summary>The task ended: a last line without its newline goes too.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_out is { Length: > 0 })
            {
                Ship(_out.ToString(), stderr: false);
                _out.Clear();
            }

            if (_err is { Length: > 0 })
            {
                Ship(_err.ToString(), stderr: true);
                _err.Clear();
            }
        }
    }

    private void Ship(string text, bool stderr)
    {
        if (text.EndsWith('\r'))
        {
            text = text[..^1];
        }

        if (text.Length > GranaryDefaults.MaxLogLineChars)
        {
            text = string.Concat(text.AsSpan(0, GranaryDefaults.MaxLogLineChars), " [line cut at ", GranaryDefaults.MaxLogLineChars.ToString(System.Globalization.CultureInfo.InvariantCulture), " characters]");
        }

        shipper.Add(jobId, new LogLine { TaskId = taskId, TaskName = taskName, ActorId = actorId ?? string.Empty, Text = text, Stderr = stderr });
    }
}
