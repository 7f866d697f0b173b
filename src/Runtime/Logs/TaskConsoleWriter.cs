using System.Text;

namespace Granary.Runtime.Logs;

/// <summary>
/// Console.Out or Console.Error of a process that runs tasks. Console is one per process, so writes are
/// routed by the async flow that makes them: inside a task of a job that ships its logs
/// (<see cref="TaskContext.Current"/> has output), to that task's <see cref="TaskOutput"/>; anything else
/// (the silo itself, a job that ships nothing) to the process's own console, unchanged. Console
/// serializes calls to it (a synchronized wrapper), so this holds no state of its own.
/// </summary>
internal sealed class TaskConsoleWriter(TextWriter inner, bool stderr) : TextWriter
{
    public TextWriter Inner => inner;

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override string NewLine
    {
        get => inner.NewLine;
#pragma warning disable CS8765 // The base setter takes null; so does the console's writer.
        set => inner.NewLine = value;
#pragma warning restore CS8765
    }

    public override void Write(char value)
    {
        if (Route() is { } output)
        {
            output.Write([value], stderr);
        }
        else
        {
            inner.Write(value);
        }
    }

    public override void Write(string? value)
    {
        if (Route() is { } output)
        {
            output.Write(value, stderr);
        }
        else
        {
            inner.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        if (Route() is { } output)
        {
            output.Write(buffer.AsSpan(index, count), stderr);
        }
        else
        {
            inner.Write(buffer, index, count);
        }
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (Route() is { } output)
        {
            output.Write(buffer, stderr);
        }
        else
        {
            inner.Write(buffer);
        }
    }

    public override void WriteLine()
    {
        if (Route() is { } output)
        {
            output.Write("\n", stderr);
        }
        else
        {
            inner.WriteLine();
        }
    }

    public override void WriteLine(string? value)
    {
        if (Route() is { } output)
        {
            output.Write(value, stderr);
            output.Write("\n", stderr);
        }
        else
        {
            inner.WriteLine(value);
        }
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        if (Route() is { } output)
        {
            output.Write(buffer, stderr);
            output.Write("\n", stderr);
        }
        else
        {
            inner.WriteLine(buffer);
        }
    }

    public override void Flush()
    {
        // A task's partial line waits for its newline or its end; flushing the console does not cut it.
        if (Route() is null)
        {
            inner.Flush();
        }
    }

    private static TaskOutput? Route() => TaskContext.Current?.Output;
}
