using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

public sealed class JobCodeRegistryTests
{
    [Fact]
    public async Task Code_unloads_when_the_job_ends_unless_an_actor_of_it_lives_on()
    {
        var registry = new JobCodeRegistry(new EmptySource(), new AssemblyBlobCache());
        await registry.GetAsync("plain", 0, default);
        Assert.NotNull(registry.JobEnded("plain"));
        Assert.DoesNotContain("plain", registry.LoadedJobs);

        await registry.GetAsync("service", 0, default);
        registry.ActorStarted("service");
        Assert.Null(registry.JobEnded("service"));
        Assert.Contains("service", registry.LoadedJobs);
        Assert.NotNull(registry.ActorStopped("service"));
        Assert.DoesNotContain("service", registry.LoadedJobs);
    }

    [Fact]
    public async Task A_job_that_ships_no_code_still_gets_its_settings_from_its_manifest_once()
    {
        var settings = new JobSettings { LogToDriver = true };
        settings.Environment["GRANARY_TEST_VARIABLE"] = "set";
        var source = new CountingSource(settings);
        var registry = new JobCodeRegistry(source, new AssemblyBlobCache());

        // Version 0: the job registered no assemblies (`granary run`'s task is Granary's own code).
        var code = await registry.GetAsync("shell", 0, default);
        Assert.True(code.Settings.LogToDriver);
        Assert.Equal("set", code.Environment!["GRANARY_TEST_VARIABLE"]);

        Assert.Same(code, await registry.GetAsync("shell", 0, default));
        Assert.Equal(1, source.Fetches);
    }

    private sealed class CountingSource(JobSettings settings) : ICodeSource
    {
        public int Fetches { get; private set; }

        public Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken)
        {
            Fetches++;
            return Task.FromResult(new JobManifest { JobId = jobId, Settings = settings });
        }

        public Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken) => throw new CodeLoadException(hash);
    }

    private sealed class EmptySource : ICodeSource
    {
        public Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult(new JobManifest { JobId = jobId });

        public Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken) => throw new CodeLoadException(hash);
    }
}
