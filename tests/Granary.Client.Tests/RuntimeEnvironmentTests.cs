namespace Granary.Client.Tests;

/// <summary>ClientOptions.Environment and Secrets reach the job's tasks; MaxCodeBytes refuses a job whose code is too large.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RuntimeEnvironmentTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Environment_and_secrets_reach_a_task_in_a_silo_through_its_context_and_in_a_worker_process_through_its_environment()
    {
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var options = new ClientOptions();
        options.Environment["GRANARY_TEST_MLFLOW_URI"] = "http://mlflow:5000";
        options.Secrets["GRANARY_TEST_MLFLOW_TOKEN"] = secret;
        await using var client = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress, options).WithTimeout();

        var inSilo = await client.Remote(() => LogJobs.ReadEnvironment("GRANARY_TEST_MLFLOW_URI", "GRANARY_TEST_MLFLOW_TOKEN")).WithTimeout();
        // The silo's process is this test's, shared by every job: the values are the context's, not the process's.
        Assert.Equal(["http://mlflow:5000", secret, "-", "-"], inSilo);

        var isolated = await client.Remote(() => LogJobs.ReadEnvironment("GRANARY_TEST_MLFLOW_URI", "GRANARY_TEST_MLFLOW_TOKEN"), new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 0 }).WithTimeout();
        Assert.Equal(["http://mlflow:5000", secret, "http://mlflow:5000", secret], isolated);

        Assert.DoesNotContain(secret, options.Secrets.ToString(), StringComparison.Ordinal);
        Assert.Contains("GRANARY_TEST_MLFLOW_TOKEN", options.Secrets.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_whose_code_is_over_MaxCodeBytes_fails_naming_its_size_the_limit_and_the_option()
    {
        await using var client = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress, new ClientOptions { MaxCodeBytes = 1000 }).WithTimeout();
        // The ref fails with the shipping failure (GranaryException, as every code upload failure) around the limit's error.
        var shipping = await Assert.ThrowsAsync<GranaryException>(async () => await client.Remote(() => TestJobs.Square(3)).WithTimeout());
        var error = Assert.IsType<CodeLoadException>(shipping.InnerException);
        Assert.Matches(@"ships [\d,]+ bytes of code, over its limit of 1,000 bytes \(ClientOptions\.MaxCodeBytes", error.Message);
        Assert.Equal(0, client.UploadedAssemblies);

        // Every later call of the job fails the same way; nothing was registered for it.
        var later = await Assert.ThrowsAsync<GranaryException>(async () => await client.Remote(() => TestJobs.Add(1, 2)).WithTimeout());
        Assert.IsType<CodeLoadException>(later.InnerException);
    }

    [Fact]
    public async Task The_client_checks_the_code_limit_before_it_asks_the_head_anything()
    {
        var shipper = new Granary.Client.Code.CodeShipper("job-limit", () => throw new InvalidOperationException("the head must not be asked"), [], settings: null, maxCodeBytes: 1000);
        var (ready, _) = shipper.Ensure(typeof(TestJobs).GetMethod(nameof(TestJobs.Square))!);
        var error = await Assert.ThrowsAsync<CodeLoadException>(() => ready.WithTimeout());
        Assert.Contains("over its limit of 1,000 bytes (ClientOptions.MaxCodeBytes", error.Message, StringComparison.Ordinal);
    }
}
