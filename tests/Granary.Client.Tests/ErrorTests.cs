namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ErrorTests(ClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_remote_exception_carries_type_message_stack_and_node()
    {
        var failing = Client.Remote(() => TestJobs.Fail("bad input"));
        var error = (await Assert.ThrowsAsync<InvalidOperationException>(async () => await failing.WithTimeout())).Remote();
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal("bad input", error.RemoteMessage);
        Assert.Contains(nameof(TestJobs.Fail), error.RemoteStackTrace);
        Assert.Contains(error.NodeId, fixture.Cluster.Silos.Skip(1).Select(s => s.NodeId));
        Assert.Contains("bad input", error.Message);
    }

    [Fact]
    public async Task A_remote_exception_is_caught_as_its_own_type_when_the_caller_can_load_it()
    {
        var failing = Client.Remote(() => TestJobs.ThrowQuota("over quota"));
        var error = await Assert.ThrowsAsync<QuotaExceededError>(async () => await failing.WithTimeout());
        Assert.Equal("over quota", error.Message);
        Assert.Contains(nameof(TestJobs.ThrowQuota), error.StackTrace);

        // Where and what ran: on the RemoteTaskException inside.
        var remote = Assert.IsType<RemoteTaskException>(error.InnerException);
        Assert.Equal(typeof(QuotaExceededError).FullName, remote.RemoteType);
        Assert.Contains(nameof(TestJobs.ThrowQuota), remote.RemoteStackTrace);
        Assert.Contains(remote.NodeId, fixture.Cluster.Silos.Skip(1).Select(s => s.NodeId));
        Assert.Equal("TestJobs.ThrowQuota", remote.TaskName);

        // A BCL exception comes back as itself too.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Client.Remote(() => TestJobs.Fail("plain")).WithTimeout());
    }

    [Fact]
    public async Task A_remote_exception_that_cannot_be_rebuilt_stays_a_RemoteTaskException()
    {
        var error = await Assert.ThrowsAsync<RemoteTaskException>(async () => await Client.Remote(() => TestJobs.ThrowOpaque()).WithTimeout());
        Assert.Equal(typeof(OpaqueError).FullName, error.RemoteType);
        Assert.Equal("opaque failure", error.RemoteMessage);
    }

    [Fact]
    public async Task Every_get_of_a_failed_ref_rethrows()
    {
        var failing = Client.Remote(() => TestJobs.Fail("again"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await failing.WithTimeout());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Client.GetAsync(failing).WithTimeout());
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync()).WithTimeout();
    }

    [Fact]
    public async Task Dependent_tasks_fail_with_the_original_failure_as_cause()
    {
        var failing = Client.Remote(() => TestJobs.Fail("root cause"));
        var dependent = Client.Remote(() => TestJobs.Square(failing));
        var next = Client.Remote(() => TestJobs.Add(dependent, 1));
        var error = await Assert.ThrowsAsync<RemoteTaskException>(async () => await next.WithTimeout());
        var cause = Assert.IsType<RemoteTaskException>(error.InnerException);
        // The root is the exception the first task threw, as its own type.
        var root = Assert.IsType<InvalidOperationException>(cause.InnerException);
        Assert.Equal("root cause", root.Remote().RemoteMessage);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Contains("root cause", error.Message);
    }

    [Fact]
    public void A_value_that_cannot_be_serialized_fails_at_submission_naming_its_type()
    {
        var loop = new Loop();
        loop.Next = loop;
        var error = Assert.Throws<ValueSerializationException>(() => Client.Remote(() => TestJobs.Touch(loop)));
        Assert.Contains(nameof(Loop), error.Message);
    }

    [Fact]
    public void An_ObjectRef_used_outside_a_remote_call_explains_itself()
    {
        var five = Client.Put(5);
        var error = Assert.Throws<InvalidOperationException>(() => (int)five);
        Assert.Contains("Remote", error.Message);
    }
}
