using Granary.Runtime.Wire;
using Spectre.Console;

namespace Granary.Silo.Tests;

/// <summary>`granary status --watch`: its flags, and the table it keeps on screen, rendered to text.</summary>
public sealed class StatusWatchTests
{
    [Fact]
    public void Watch_takes_an_interval_and_refuses_one_without_watch()
    {
        var (_, json, watch, interval) = StatusCommand.Parse(["--watch", "--interval", "0.5"]);
        Assert.True(watch);
        Assert.False(json);
        Assert.Equal(TimeSpan.FromSeconds(0.5), interval);
        Assert.Equal(GranaryDefaults.MonitorInterval, StatusCommand.Parse(["--watch", "--json"]).Interval);
        Assert.Contains("--watch", Assert.Throws<ArgumentException>(() => StatusCommand.Parse(["--interval", "2"])).Message);
        Assert.Contains("--interval", Assert.Throws<ArgumentException>(() => StatusCommand.Parse(["--watch", "--interval", "0"])).Message);
    }

    [Fact]
    public void The_table_shows_each_nodes_sample_and_nothing_for_a_dead_one()
    {
        var report = new StatusReport { ClusterId = "c1", View = new ClusterView() };
        var worker = new NodeInfo
        {
            NodeId = "w1",
            State = NodeState.Alive,
            RunningTasks = 2,
            QueuedTasks = 1,
            Store = new ObjectStoreStats { MemoryBytes = 3 << 20, SpilledBytes = 1 << 20 },
            Metrics = new NodeSample { CpuPercent = 42, ProcessCpuPercent = 7, MemoryUsedBytes = 2L << 30, MemoryTotalBytes = 8L << 30, Leases = 2 },
        };
        worker.Metrics.Gpus.Add(new GpuSample { Index = 0, UtilizationPercent = 100, MemoryUsedBytes = 16L << 30, MemoryTotalBytes = 16L << 30, Simulated = true });
        report.View.Nodes.Add(new NodeInfo { NodeId = "hd", IsHead = true, State = NodeState.Alive, Metrics = new NodeSample { CpuPercent = 3 } });
        report.View.Nodes.Add(worker);
        report.View.Nodes.Add(new NodeInfo { NodeId = "gone", State = NodeState.Dead, Metrics = new NodeSample { CpuPercent = 99 } });

        var text = Render(StatusTable.Build(report, "127.0.0.1:6380", problem: null, DateTimeOffset.Now));
        Assert.Contains("Granary cluster c1", text);
        Assert.Contains("42%", text);
        Assert.Contains("2/8 GiB", text);
        Assert.Contains("2 running, 1 queued", text);
        Assert.Contains("0: 100% 16/16 GiB (sim)", text);
        Assert.Contains("3 MiB, 1 MiB spilled", text);
        Assert.Contains("hd (head)", text);
        Assert.Contains("dead", text);
        Assert.DoesNotContain("99%", text);
        Assert.Contains("Ctrl+C to stop", text);

        var unreachable = Render(StatusTable.Build(report, "127.0.0.1:6380", "the head did not answer: gone", DateTimeOffset.Now));
        Assert.Contains("the head did not answer: gone", unreachable);
    }

    [Fact]
    public void The_table_shows_what_the_head_reserved_on_each_gpu_and_its_profiles()
    {
        var report = new StatusReport { ClusterId = "c1", View = new ClusterView() };
        var worker = new NodeInfo { NodeId = "w1", State = NodeState.Alive, Metrics = new NodeSample() };
        worker.Metrics.Gpus.Add(new GpuSample { Index = 0, MemoryUsedBytes = 3L << 30, MemoryTotalBytes = 16L << 30, Simulated = true });
        report.View.Nodes.Add(worker);
        report.GpuReservations.Add(new GpuReservation { NodeId = "w1", Index = 0, ReservedBytes = 3_300_000_000, ReservedShare = 0.19, MemoryBytes = 16L << 30 });
        report.GpuProfiles.Add(new GpuProfileInfo { JobType = "app::Jobs.Train(Int32)", State = "known", PeakBytes = 3_000_000_000, Runs = 2, LastError = "GpuOutOfMemoryException: full" });

        var text = Render(StatusTable.Build(report, "127.0.0.1:6380", problem: null, DateTimeOffset.Now));
        Assert.Contains("0: 0% 3/16 GiB (sim), 3.3 GB reserved", text);
        Assert.Contains("GPU memory profiles", text);
        Assert.Contains("app::Jobs.Train(Int32)", text);
        Assert.Contains("GpuOutOfMemoryException: full", text);

        // Without profiles the watch shows the node table alone, as before.
        Assert.DoesNotContain("GPU memory profiles", Render(StatusTable.Build(new StatusReport { View = new ClusterView() }, "127.0.0.1:6380", problem: null, DateTimeOffset.Now)));
    }

    private static string Render(Spectre.Console.Rendering.IRenderable table)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        console.Write(table);
        return writer.ToString();
    }
}
