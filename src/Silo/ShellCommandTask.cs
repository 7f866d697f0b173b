using System.Diagnostics;
using System.Globalization;

namespace Granary.Silo;

/// <summary>
/// The task behind `granary run`: runs one shell command (`/bin/sh -c`) on the node, on the GPU the task
/// was given (CUDA_VISIBLE_DEVICES), and returns its exit code. Its stdout and stderr lines are written as
/// the task's own, so they reach the `granary run` that submitted it. It lives in granary's own assembly,
/// which every silo and worker process has, so nothing is shipped for it. A simulated GPU's use comes from
/// <see cref="SimulatedGpuMemoryFile"/>; when the device has no room for it the command is killed and the
/// task fails with <see cref="GpuOutOfMemoryException"/>, so Granary retries it alone on a device.
/// </summary>
internal static class ShellCommandTask
{
    /// <summary>The exit code of a command that --timeout killed, as coreutils' timeout(1) uses.</summary>
    public const int TimedOutExitCode = 124;

    // After the shell exits, a background child of the command may still hold its output open; its last
    // lines get this long, so the task does not wait on a process the command left behind.
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);

    /// <param name="workingDirectory">Where `granary run` was started: used when it exists on this node, else the node's own.</param>
    /// <param name="timeoutSeconds">How long the command may run; 0 for no limit.</param>
    public static async Task<ShellCommandResult> RunAsync(string command, string workingDirectory, double timeoutSeconds, CancellationToken cancellationToken)
    {
        var context = TaskContext.Current ?? throw new InvalidOperationException("ShellCommandTask runs only as a Granary task (granary run).");
        var gpu = context.GpuIds.Count > 0 ? context.GpuIds[0] : -1;
        using var memory = new SimulatedGpuMemoryFile(context.TaskId);
        using var process = Process.Start(StartInfo(command, workingDirectory, context, gpu, memory.Path))
            ?? throw new InvalidOperationException($"/bin/sh did not start for: {command}");
        process.StandardInput.Close();
        var output = PumpAsync(process.StandardOutput, Console.Out);
        var errors = PumpAsync(process.StandardError, Console.Error);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeoutSeconds > 0)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        }

        try
        {
            await WatchAsync(process, memory, context, limit.Token).ConfigureAwait(false);
            // A figure written just before the command ended counts too.
            await memory.ForwardAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GpuOutOfMemoryException or OperationCanceledException)
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await DrainAsync(output, errors).ConfigureAwait(false);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"granary run: killed after {timeoutSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (--timeout)");
                return new ShellCommandResult(TimedOutExitCode, context.NodeId, gpu, TimedOut: true);
            }

            throw;
        }

        await DrainAsync(output, errors).ConfigureAwait(false);
        return new ShellCommandResult(process.ExitCode, context.NodeId, gpu, TimedOut: false);
    }

    private static ProcessStartInfo StartInfo(string command, string workingDirectory, TaskContext context, int gpu, string memoryFile)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.Exists(workingDirectory) ? workingDirectory : Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);

        // The job's variables: a silo's own environment does not hold them (TaskContext.Environment).
        foreach (var (name, value) in context.Environment)
        {
            start.Environment[name] = value;
        }

        // Exactly the task's device, by the index the node found it under; an empty value hides every GPU.
        start.Environment["CUDA_VISIBLE_DEVICES"] = gpu >= 0 ? gpu.ToString(CultureInfo.InvariantCulture) : string.Empty;
        // NVML numbers devices in PCI bus order, CUDA by default fastest first: without this the two could
        // name different devices on a node with mixed GPUs.
        if (!start.Environment.ContainsKey("CUDA_DEVICE_ORDER"))
        {
            start.Environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        }

        start.Environment[SimulatedGpuMemoryFile.Variable] = memoryFile;
        return start;
    }

    /// <summary>Waits for the command to exit, forwarding its simulated GPU use meanwhile.</summary>
    private static async Task WatchAsync(Process process, SimulatedGpuMemoryFile memory, TaskContext context, CancellationToken cancellationToken)
    {
        var exited = process.WaitForExitAsync(cancellationToken);
        while (!exited.IsCompleted)
        {
            await Task.WhenAny(exited, Task.Delay(SimulatedGpuMemoryFile.Poll, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await memory.ForwardAsync(context, cancellationToken).ConfigureAwait(false);
        }

        await exited.ConfigureAwait(false);
    }

    /// <summary>Copies the command's lines to the task's own Console, which ships them to the client.</summary>
    private static async Task PumpAsync(StreamReader reader, TextWriter writer)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            writer.WriteLine(line);
        }
    }

    private static async Task DrainAsync(Task output, Task errors)
    {
        try
        {
            await Task.WhenAll(output, errors).WaitAsync(OutputGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"granary run: the command left a process holding its output; lines after {OutputGrace.TotalSeconds:0} s are not shown");
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }
}
