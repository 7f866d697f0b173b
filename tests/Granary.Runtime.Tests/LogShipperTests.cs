using System.Collections.Concurrent;
using Granary.Runtime.Logs;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Tests;

public sealed class LogShipperTests
{
    [Fact]
    public async Task Lines_go_in_one_batch_per_job_and_a_full_buffer_drops_lines_with_a_count_instead_of_blocking()
    {
        var sent = new ConcurrentQueue<LogBatch>();
        await using var shipper = new LogShipper("n1", (batch, _) => { sent.Enqueue(batch); return Task.CompletedTask; }, capacity: 3, interval: TimeSpan.FromHours(1));
        for (var i = 0; i < 5; i++)
        {
            shipper.Add("j1", new LogLine { Text = "line " + i });
        }

        shipper.Add("j2", new LogLine { Text = "other" });
        await shipper.FlushAsync(CancellationToken.None);

        var j1 = Assert.Single(sent, b => b.JobId == "j1");
        Assert.Equal(["line 0", "line 1", "line 2"], j1.Lines.Select(l => l.Text));
        Assert.Equal(2, j1.Dropped);
        Assert.Equal("n1", j1.NodeId);
        var j2 = Assert.Single(sent, b => b.JobId == "j2");
        Assert.Equal(1, j2.Dropped);
        Assert.Empty(j2.Lines);
        Assert.Equal(3, shipper.Dropped);
    }

    [Fact]
    public async Task The_timer_sends_lines_without_a_flush()
    {
        var sent = new TaskCompletionSource<LogBatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var shipper = new LogShipper("n1", (batch, _) => { sent.TrySetResult(batch); return Task.CompletedTask; }, interval: TimeSpan.FromMilliseconds(10));
        shipper.Add("j1", new LogLine { Text = "hello" });
        Assert.Equal("hello", Assert.Single((await sent.Task.WaitAsync(TimeSpan.FromSeconds(10))).Lines).Text);
    }

    [Fact]
    public async Task A_task_output_cuts_lines_at_newlines_and_ships_a_last_partial_line_at_its_end()
    {
        var sent = new ConcurrentQueue<LogBatch>();
        await using var shipper = new LogShipper("n1", (batch, _) => { sent.Enqueue(batch); return Task.CompletedTask; }, interval: TimeSpan.FromHours(1));
        var output = new TaskOutput(shipper, "j1", "t1", "Jobs.Say", actorId: null);
        output.Write("a", stderr: false);
        output.Write("b\nc\r\nd", stderr: false);
        output.Write("e", stderr: true);
        output.Flush();
        await shipper.FlushAsync(CancellationToken.None);

        var lines = Assert.Single(sent).Lines;
        Assert.Equal(["ab", "c", "d", "e"], lines.Select(l => l.Text));
        Assert.Equal([false, false, false, true], lines.Select(l => l.Stderr));
        Assert.All(lines, l => Assert.Equal("Jobs.Say", l.TaskName));
    }
}
