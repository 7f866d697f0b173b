using System.Diagnostics;
using System.Text;

namespace Granary.Testing;

/// <summary>
/// Runs a command to its end with a bound: what a test needs to run `granary status`, `dotnet run app.cs` and
/// the like. Both streams are read as they come (a full pipe would block the child), kept apart and together in
/// arrival order. A run past its bound is killed with its whole tree (a build server or a silo it started would
/// otherwise hold the pipes open) and fails with a <see cref="TimeoutException"/> that carries what it wrote.
/// </summary>
internal static class ProcessRun
{
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo start, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var both = new StringBuilder();
        var gate = new object();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(gate, e.Data, stdout, both);
        process.ErrorDataReceived += (_, e) => Append(gate, e.Data, stderr, both);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        try
        {
            // Also waits for the end of both streams, so nothing written before the exit is missed.
            await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(reaped.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A grandchild still holds a pipe; the kill was sent, and the timeout below says what ran long.
            }

            throw new TimeoutException($"`{what}` did not exit within {timeout.TotalSeconds:0} s.\n{Read(gate, both)}");
        }

        return new ProcessResult(process.ExitCode, Read(gate, stdout), Read(gate, stderr), Read(gate, both));
    }

    private static void Append(object gate, string? line, StringBuilder stream, StringBuilder both)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            stream.AppendLine(line);
            both.AppendLine(line);
        }
    }

    private static string Read(object gate, StringBuilder text)
    {
        lock (gate)
        {
            return text.ToString();
        }
    }
}
