using System.Diagnostics;
using System.Text;

namespace Granary.Runtime.Commands;

/// <summary>
/// The task behind <c>GranaryClient.RunOnEveryNodeAsync</c>: runs one shell command (<c>/bin/sh -c</c>) on the
/// node it was placed on, as the silo's user, and returns its exit code and output. It lives in
/// Granary.Runtime, which every silo and worker process has, so nothing is shipped for it.
/// </summary>
public static class NodeCommand
{
    /// <summary>The exit code of a command its timeout killed, as coreutils' timeout(1) uses.</summary>
    public const int TimedOutExitCode = 124;

    private const int MostChars = 1 << 20;

    /// <param name="timeoutSeconds">How long the command may run; 0 for no limit.</param>
    public static async Task<NodeCommandResult> RunAsync(string command, double timeoutSeconds, CancellationToken cancellationToken)
    {
        var nodeId = TaskContext.Current?.NodeId ?? Environment.MachineName;
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (name, value) in TaskContext.Current?.Environment ?? new Dictionary<string, string>())
        {
            // The job's environment (ClientOptions.Environment and Secrets), as a worker process gets it.
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"/bin/sh did not start for: {command}");
        process.StandardInput.Close();
        var output = ReadAsync(process.StandardOutput);
        var errors = ReadAsync(process.StandardError);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeoutSeconds > 0)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        }

        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The whole tree: a shell's children would otherwise outlive it and hold its output open.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        var (text, errorText) = (await output.ConfigureAwait(false), await errors.ConfigureAwait(false));
        return new NodeCommandResult(nodeId, timedOut ? TimedOutExitCode : process.ExitCode, text, errorText, timedOut);
    }

    /// <summary>All of a stream, at most 1 MiB of characters; the rest is read and dropped, so the command never blocks on a full pipe.</summary>
    private static async Task<string> ReadAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        var dropped = 0L;
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var keep = Math.Min(read, MostChars - text.Length);
            text.Append(buffer, 0, keep);
            dropped += read - keep;
        }

        return dropped == 0 ? text.ToString() : text.Append($"\n[granary: {dropped} more characters were cut]\n").ToString();
    }
}
