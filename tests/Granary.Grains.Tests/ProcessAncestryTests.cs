using System.Diagnostics;
using Granary.Grains.Gpus;

namespace Granary.Grains.Tests;

/// <summary>
/// What the GPU meters count as a silo's own process: itself, its children, and theirs (a shell command's
/// program, started by the shell a task started), from /proc.
/// </summary>
public sealed class ProcessAncestryTests
{
    [Fact]
    public async Task A_grandchild_descends_from_this_process_and_nothing_descends_from_a_stranger()
    {
        var self = new HashSet<int> { Environment.ProcessId };
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("sleep 30 & echo $!; wait");
        using var shell = Process.Start(start)!;
        try
        {
            var grandchild = int.Parse((await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(shell.Id, ProcessAncestry.ParentOf(grandchild));
            Assert.True(ProcessAncestry.IsOrDescendsFrom(grandchild, self));
            Assert.True(ProcessAncestry.IsOrDescendsFrom(shell.Id, self));
            Assert.True(ProcessAncestry.IsOrDescendsFrom(Environment.ProcessId, self));
            Assert.False(ProcessAncestry.IsOrDescendsFrom(Environment.ProcessId, new HashSet<int> { shell.Id }));
            Assert.False(ProcessAncestry.IsOrDescendsFrom(1, self));
            Assert.Null(ProcessAncestry.ParentOf(int.MaxValue));
            Assert.False(ProcessAncestry.IsOrDescendsFrom(int.MaxValue, self));
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
