namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class OptionsTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Custom_resources_place_work_on_nodes_that_offer_them()
    {
        var refs = Enumerable.Range(0, 4).Select(_ => Client.Remote(() => TestJobs.WhereAmI(), new RemoteOptions { Resources = { ["slot"] = 1 } })).ToList();
        var nodes = await Client.GetAllAsync(refs).WithTimeout();
        Assert.All(nodes, n => Assert.Contains(n, fixture.Cluster.Silos.Skip(1).Select(s => s.NodeId)));
    }

    [Fact]
    public async Task A_request_no_node_could_ever_fit_fails_at_once_naming_the_resource()
    {
        var tooMany = Client.Remote(() => TestJobs.Square(1), new RemoteOptions { Cpus = 64 });
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await tooMany.WithTimeout());
        Assert.Contains("CPU", error.Message);
        Assert.Contains("largest node", error.Message);

        var unknown = Client.Remote(() => TestJobs.Square(1), new RemoteOptions { Resources = { ["tpu"] = 1 } });
        error = await Assert.ThrowsAsync<InfeasibleResourcesException>(async () => await unknown.WithTimeout());
        Assert.Contains("tpu", error.Message);
    }

    [Fact]
    public async Task Work_waits_when_resources_are_busy_and_runs_when_they_free()
    {
        // Each worker has one "slot": three slot tasks of 300 ms cannot all run at once, yet all finish.
        var options = new RemoteOptions { Resources = { ["slot"] = 1 } };
        var refs = Enumerable.Range(0, 3).Select(i => Client.Remote(() => TestJobs.Timed(i, 300), options)).ToList();
        var intervals = await Client.GetAllAsync(refs).WithTimeout();
        // The most tasks running at one instant: count, at each start, the intervals that cover it.
        var maxOverlap = intervals.Max(a => intervals.Count(b => b.Start <= a.Start && a.Start < b.End));
        Assert.True(maxOverlap <= 2, $"at most two slot tasks may overlap, saw {maxOverlap}");
    }

    [Fact]
    public async Task RetryExceptions_retries_a_throwing_method_up_to_MaxRetries()
    {
        var retried = Client.Remote(() => TestJobs.FailOnFirstAttempt(7), new RemoteOptions { MaxRetries = 1, RetryExceptions = true });
        Assert.Equal(7, await retried.WithTimeout());

        var notRetried = Client.Remote(() => TestJobs.FailOnFirstAttempt(7), new RemoteOptions { MaxRetries = 3 });
        var error = (await Assert.ThrowsAsync<TimeoutException>(async () => await notRetried.WithTimeout())).Remote();
        Assert.Equal(typeof(TimeoutException).FullName, error.RemoteType);
    }

    [Fact]
    public async Task RetryExceptions_stops_retrying_at_MaxRetries_and_fails_with_the_methods_exception()
    {
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var failing = Client.Remote(() => TestJobs.RecordThenFail(folder), new RemoteOptions { MaxRetries = 2, RetryExceptions = true });
        var error = (await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WithTimeout())).Remote();
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal([0, 1, 2], ledger.Executions().Select(r => r.Attempt).Order());
    }

    [Fact]
    public async Task The_call_name_appears_in_errors()
    {
        var named = Client.Remote(() => TestJobs.Fail("oops"), new RemoteOptions { Name = "nightly-report" });
        var error = (await Assert.ThrowsAsync<InvalidOperationException>(async () => await named.WithTimeout())).Remote();
        Assert.Equal("nightly-report", error.TaskName);
        Assert.Contains("nightly-report", error.Message);
    }

    [Fact]
    public void Invalid_options_are_rejected_at_submission_with_the_fix()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Client.Remote(() => TestJobs.Square(1), new RemoteOptions { MaxRetries = -1 }));
        Assert.Contains("MaxRetries", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Client.Remote(() => TestJobs.Square(1), new RemoteOptions { Gpus = 1.5 }));
    }
}
