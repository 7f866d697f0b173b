namespace Granary.Client.Tests;

/// <summary>Isolation = Process: worker processes of the silo, their GPU visibility, and crashes that fail only their task.</summary>
public sealed class ProcessIsolationTests : IAsyncLifetime
{
    private static readonly RemoteOptions Isolated = new() { Isolation = Isolation.Process, MaxRetries = 0 };
    private GranaryClient _client = null!;

    public async Task InitializeAsync() =>
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 2, GpusPerSilo = 2, GpuType = "H100" }).WithTimeout();

    public async Task DisposeAsync() => await _client.DisposeAsync().WithTimeout();

    [Fact]
    public async Task Isolated_tasks_run_in_a_worker_process_reused_within_the_job()
    {
        var first = await _client.Remote(() => ProcessJobs.Describe(), Isolated).WithTimeout();
        var second = await _client.Remote(() => ProcessJobs.Describe(), Isolated).WithTimeout();
        Assert.NotEqual(Environment.ProcessId, first.Pid);
        Assert.Equal(first.Pid, second.Pid);
        Assert.Equal(string.Empty, first.CudaVisibleDevices);
    }

    [Fact]
    public async Task A_worker_sees_exactly_the_tasks_gpus()
    {
        var withGpu = new RemoteOptions { Isolation = Isolation.Process, Gpus = 1, MaxRetries = 0 };
        var info = await _client.Remote(() => ProcessJobs.Describe(), withGpu).WithTimeout();
        Assert.Equal(info.GpuIds, info.CudaVisibleDevices);
        Assert.Single(info.GpuIds.Split(','));

        var both = await _client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { Isolation = Isolation.Process, Gpus = 2, MaxRetries = 0 }).WithTimeout();
        Assert.Equal("0,1", both.CudaVisibleDevices);
        Assert.Equal("0,1", both.GpuIds);
    }

    [Fact]
    public async Task A_gpu_task_sees_its_gpus_in_CUDA_VISIBLE_DEVICES_whatever_its_isolation()
    {
        foreach (var isolation in new[] { Isolation.InProcess, Isolation.Process })
        {
            var info = await _client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { Gpus = 1, Isolation = isolation, MaxRetries = 0 }).WithTimeout();
            Assert.NotEqual(Environment.ProcessId, info.Pid);
            Assert.Equal(info.GpuIds, info.CudaVisibleDevices);
        }

        // A task without GPUs still runs in the silo's process (here, the test's).
        var cpu = await _client.Remote(() => ProcessJobs.Describe(), new RemoteOptions { MaxRetries = 0 }).WithTimeout();
        Assert.Equal(Environment.ProcessId, cpu.Pid);
    }

    [Fact]
    public async Task A_worker_that_exits_fails_only_its_task_and_is_replaced()
    {
        var before = await _client.Remote(() => ProcessJobs.Describe(), Isolated).WithTimeout();
        var error = await Assert.ThrowsAsync<WorkerCrashedException>(async () => await _client.Remote(() => ProcessJobs.Exit(1), Isolated).WithTimeout());
        Assert.Contains("exited with code 1", error.Message);
        Assert.True(error.IsRetryable);

        var after = await _client.Remote(() => ProcessJobs.Describe(), Isolated).WithTimeout();
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.Equal(49, await _client.Remote(() => TestJobs.Square(7)).WithTimeout());
    }

    [Fact]
    public async Task An_unhandled_exception_on_another_thread_fails_only_its_task()
    {
        var crash = _client.Remote(() => ProcessJobs.CrashOnAnotherThread(), Isolated);
        await Assert.ThrowsAsync<WorkerCrashedException>(async () => await crash.WithTimeout());
        Assert.Equal(4, await _client.Remote(() => TestJobs.Square(2), Isolated).WithTimeout());
    }

    [Fact]
    public async Task A_crashed_task_is_retried_per_MaxRetries()
    {
        var retried = _client.Remote(() => ProcessJobs.ExitOnFirstAttempt(5), new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 1 });
        Assert.Equal(5, await retried.WithTimeout());
    }

    [Fact]
    public async Task Retries_of_a_task_whose_worker_keeps_crashing_stop_at_MaxRetries_with_WorkerCrashed()
    {
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var crashing = _client.Remote(() => ProcessJobs.RecordThenExit(folder), new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 2 });
        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => crashing.WithTimeout());
        Assert.Contains("exited with code 3", error.Message);

        // The first attempt and two retries ran, each in a worker of its own that died, and then no more.
        Assert.Equal([0, 1, 2], ledger.Executions().Select(r => r.Attempt).Order());
        Assert.Equal(4, await _client.Remote(() => TestJobs.Square(2), Isolated).WithTimeout());
    }

    [Fact]
    public async Task Refs_a_worker_process_puts_and_returns_are_stored_on_its_silo_and_readable()
    {
        var arrays = await _client.Remote(() => NestedRefJobs.PutArrays(2, 40_000), Isolated).WithTimeout();
        Assert.All(arrays, a => Assert.Equal(_client.Cluster!.Silos[1].Address, a.Entry.Location!.Address));
        Assert.Equal(40_000, (await arrays[1].WithTimeout()).Length);
        Assert.Equal(40_000L, await _client.Remote(() => NestedRefJobs.SumArrays(arrays), Isolated).WithTimeout());

        var squares = await _client.Remote(() => NestedRefJobs.PutSquares(4), Isolated).WithTimeout();
        Assert.Equal(14, await _client.Remote(() => NestedRefJobs.SumAll(squares), Isolated).WithTimeout());
    }
}
