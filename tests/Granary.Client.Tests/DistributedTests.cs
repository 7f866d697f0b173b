namespace Granary.Client.Tests;

/// <summary>
/// Multi-rank launches on an embedded cluster of two worker silos with two simulated T4s each: four ranks,
/// two per node, each rank in a worker process of its own.
/// </summary>
public sealed class DistributedTests : IAsyncLifetime
{
    private static readonly DistributedOptions Four = new() { Gpus = 4, GpuType = "T4", CpusPerRank = 0.5 };
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "granary-launch-" + Guid.NewGuid().ToString("N")[..12]);
    private GranaryClient _client = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2, GpusPerSilo = 2, GpuType = "T4" }).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync().WithTimeout();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Each_rank_gets_torchruns_contract_in_its_environment_and_on_its_context()
    {
        var reports = await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.Report(ctx)).WithTimeout(Bound);

        Assert.Equal([0, 1, 2, 3], reports.Select(r => r.Rank));
        Assert.All(reports, r => Assert.Equal(4, r.WorldSize));
        Assert.Equal(4, reports.Select(r => r.Pid).Distinct().Count());
        Assert.DoesNotContain(Environment.ProcessId, reports.Select(r => r.Pid));
        // Packed two per node, local ranks 0 and 1 on each.
        Assert.Equal(2, reports.Select(r => r.NodeId).Distinct().Count());
        foreach (var node in reports.GroupBy(r => r.NodeId))
        {
            Assert.Equal([0, 1], node.Select(r => r.LocalRank).Order());
            Assert.All(node, r => Assert.Equal(2, r.LocalWorldSize));
            Assert.Equal(2, node.Select(r => r.Environment["CUDA_VISIBLE_DEVICES"]).Distinct().Count());
        }

        Assert.Single(reports.Select(r => (r.MasterAddress, r.MasterPort)).Distinct());
        Assert.Equal("127.0.0.1", reports[0].MasterAddress);
        Assert.InRange(reports[0].MasterPort, 1, 65535);
        foreach (var r in reports)
        {
            Assert.Equal(r.Rank.ToString(), r.Environment["RANK"]);
            Assert.Equal(r.LocalRank.ToString(), r.Environment["LOCAL_RANK"]);
            Assert.Equal("4", r.Environment["WORLD_SIZE"]);
            Assert.Equal("2", r.Environment["LOCAL_WORLD_SIZE"]);
            Assert.Equal(r.MasterAddress, r.Environment["MASTER_ADDR"]);
            Assert.Equal(r.MasterPort.ToString(), r.Environment["MASTER_PORT"]);
            Assert.Single(r.Environment["CUDA_VISIBLE_DEVICES"]!.Split(','));
        }
    }

    [Theory]
    [InlineData(ReduceOp.Sum, CollectiveTransport.Direct)]
    [InlineData(ReduceOp.Mean, CollectiveTransport.Direct)]
    [InlineData(ReduceOp.Min, CollectiveTransport.Silos)]
    [InlineData(ReduceOp.Max, CollectiveTransport.Direct)]
    [InlineData(ReduceOp.Sum, CollectiveTransport.Silos)]
    public async Task All_reduce_equals_the_local_reduction_on_every_rank(ReduceOp op, CollectiveTransport transport)
    {
        // 300,001 items: the chunks differ in length, span several pieces through the silos, and the tail is not a multiple of a vector.
        const int length = 300_001;
        var options = new DistributedOptions { Gpus = 4, GpuType = "T4", CpusPerRank = 0.5, CollectiveTransport = transport };
        var results = await _client.Distributed(options).RunAsync(ctx => LaunchJobs.AllReduce(ctx, length, op)).WithTimeout(Bound);

        var inputs = Enumerable.Range(0, 4).Select(r => Enumerable.Range(0, length).Select(i => (double)i * (r + 1)).ToArray()).ToList();
        var expected = Enumerable.Range(0, length).Select(i => op switch
        {
            ReduceOp.Sum => inputs.Sum(a => a[i]),
            ReduceOp.Mean => inputs.Sum(a => a[i]) / 4,
            ReduceOp.Min => inputs.Min(a => a[i]),
            _ => inputs.Max(a => a[i]),
        }).ToArray();
        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public async Task Broadcast_all_gather_and_gatherings_at_the_head_reach_every_rank()
    {
        // 3 MiB of floats: more than one piece on the wire.
        var broadcast = await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.Broadcast(ctx, 786_433, 2)).WithTimeout(Bound);
        var expected = Enumerable.Range(0, 786_433).Select(i => (float)i).ToArray();
        Assert.All(broadcast, b => Assert.Equal(expected, b));

        var throughSilos = new DistributedOptions { Gpus = 4, GpuType = "T4", CpusPerRank = 0.5, CollectiveTransport = CollectiveTransport.Silos };
        var relayed = await _client.Distributed(throughSilos).RunAsync(ctx => LaunchJobs.Broadcast(ctx, 786_433, 1)).WithTimeout(Bound);
        Assert.All(relayed, b => Assert.Equal(expected, b));

        var gathered = await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.AllGather(ctx)).WithTimeout(Bound);
        Assert.All(gathered, all => Assert.Equal(Enumerable.Range(0, 4).Select(r => Enumerable.Repeat(r, r + 1).ToArray()), all));

        var ints = await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.AllReduceInts(ctx, 5)).WithTimeout(Bound);
        Assert.All(ints, r => Assert.Equal([3, 4, 5, 6, 7], r));

        var names = await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.GatherNames(ctx)).WithTimeout(Bound);
        Assert.Single(names.Distinct());
        Assert.Equal(Enumerable.Range(0, 4).Select(r => $"rank-{r}@"), names[0].Split(',').Select(n => n[..(n.IndexOf('@') + 1)]));
    }

    [Fact]
    public async Task A_failing_rank_stops_the_others_and_surfaces_naming_rank_and_node()
    {
        var folder = _folder;
        var error = await Assert.ThrowsAsync<RankFailedException>(() => _client.Distributed(Four).RunAsync(ctx => LaunchJobs.FailOnRank(ctx, 1, folder)).WithTimeout(Bound));

        Assert.Equal(1, error.Rank);
        Assert.Contains("rank 1 gave up", error.Message);
        Assert.Contains($"Rank 1 on node {error.NodeId}", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        // The others had started, and were stopped rather than let through the barrier.
        await Eventually.HoldsAsync(() => Directory.GetFiles(folder, "waiting-*").Length == 3, TimeSpan.FromSeconds(20), "the other ranks started");
        foreach (var file in Directory.GetFiles(folder, "waiting-*"))
        {
            var pid = int.Parse(File.ReadAllText(file));
            await Eventually.HoldsAsync(() => !IsRunning(pid), TimeSpan.FromSeconds(20), $"rank process {pid} is stopped");
        }

        Assert.Empty(Directory.GetFiles(folder, "passed-*"));
        // Its GPUs are free again: the next launch gets all four.
        Assert.Equal(4, (await _client.Distributed(Four).RunAsync(ctx => LaunchJobs.Report(ctx)).WithTimeout(Bound)).Count);
    }

    [Fact]
    public async Task A_rank_that_never_arrives_fails_the_launch_naming_it()
    {
        var options = new DistributedOptions { Gpus = 4, GpuType = "T4", CpusPerRank = 0.5, CollectiveTimeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<RendezvousTimeoutException>(() => _client.Distributed(options).RunAsync(ctx => LaunchJobs.MissBarrier(ctx, 3, CancellationToken.None)).WithTimeout(Bound));

        Assert.Contains("Rank 3 of launch", error.Message);
        Assert.Contains("'ready'", error.Message);
        Assert.Contains("3 of 4 arrived", error.Message);
        Assert.Contains("CollectiveTimeout", error.Message);
    }

    [Fact]
    public async Task Ray_launch_rank_zero_drives_the_ranks_gpus_and_the_others_end_with_its_marker()
    {
        var output = await _client.Distributed(Four).RunAsDriverAsync(ctx => LaunchJobs.Drive(ctx)).WithTimeout(Bound);

        // One GPU task per rank's bundle, across both nodes: the driver used the ranks' GPUs.
        var placed = output.Split(';');
        Assert.Equal(4, placed.Length);
        Assert.Equal(4, placed.Distinct().Count());
        Assert.Equal(2, placed.Select(p => p.Split('/')[0]).Distinct().Count());
    }

    [Fact]
    public async Task Ray_launch_ranks_end_when_the_driver_fails()
    {
        var error = await Assert.ThrowsAsync<RankFailedException>(() => _client.Distributed(Four).RunAsDriverAsync(ctx => LaunchJobs.FailingDriver(ctx)).WithTimeout(Bound));

        Assert.Equal(0, error.Rank);
        Assert.Contains("the driver gave up", error.Message);
    }

    [Fact]
    public async Task Local_mode_runs_the_ranks_as_processes_on_this_machine_with_the_same_contract()
    {
        var cluster = (await _client.GetNodesAsync().WithTimeout()).Select(n => n.NodeId).ToHashSet();

        var reports = await _client.Distributed(new DistributedOptions { Gpus = 2, Remote = false }).RunAsync(ctx => LaunchJobs.Report(ctx)).WithTimeout(Bound);

        Assert.Equal([0, 1], reports.Select(r => r.Rank));
        Assert.Equal([0, 1], reports.Select(r => r.LocalRank));
        Assert.Single(reports.Select(r => r.NodeId).Distinct());
        Assert.DoesNotContain(reports[0].NodeId, cluster);
        Assert.Equal(2, reports.Select(r => r.Pid).Distinct().Count());
        Assert.DoesNotContain(Environment.ProcessId, reports.Select(r => r.Pid));
        Assert.Equal(["0", "1"], reports.Select(r => r.Environment["CUDA_VISIBLE_DEVICES"]).Order());
        Assert.All(reports, r => Assert.Equal("2", r.Environment["WORLD_SIZE"]));
    }

    [Fact]
    public async Task A_launch_streams_metrics_samples_while_it_runs()
    {
        var samples = new System.Collections.Concurrent.ConcurrentQueue<NodeMetrics>();
        var launch = _client.Distributed(Four).WithMetrics(samples.Enqueue, TimeSpan.FromMilliseconds(100));

        await launch.RunAsync(ctx => LaunchJobs.HoldAtBarrier(ctx, 2500)).WithTimeout(Bound);
        var seen = samples.Count;

        var workers = (await _client.GetNodesAsync().WithTimeout()).Where(n => !n.IsHead).Select(n => n.NodeId).ToHashSet();
        Assert.True(workers.IsSubsetOf(samples.Select(s => s.NodeId)), $"samples came from {string.Join(", ", samples.Select(s => s.NodeId).Distinct())}");
        // Some sample saw a rank's GPU in use.
        Assert.Contains(samples, s => s.Gpus.Any(g => g.UtilizationPercent > 0));
        await Task.Delay(500);
        Assert.Equal(seen, samples.Count);
    }

    [Fact]
    public async Task Bad_options_fail_before_anything_runs_naming_the_fix()
    {
        var noType = Assert.Throws<ArgumentException>(() => { _ = _client.Distributed(new DistributedOptions { Gpus = 2 }).RunAsync(ctx => LaunchJobs.Report(ctx)); });
        Assert.Contains("GpuType", noType.Message);
        Assert.Contains("Remote = false", noType.Message);
        var none = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = _client.Distributed(new DistributedOptions { GpuType = "T4" }).RunAsync(ctx => LaunchJobs.Report(ctx)); });
        Assert.Contains("Gpus", none.Message);
        var tooMany = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => _client.Distributed(new DistributedOptions { Gpus = 5, GpuType = "T4" }).RunAsync(ctx => LaunchJobs.Report(ctx)).WithTimeout(Bound));
        Assert.Contains("T4", tooMany.Message);
        await Assert.ThrowsAsync<InfeasibleResourcesException>(() => _client.Distributed(new DistributedOptions { Gpus = 1, GpuType = "A100" }).RunAsync(ctx => LaunchJobs.Report(ctx)).WithTimeout(Bound));
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
