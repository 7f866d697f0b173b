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

    private sealed class EmptySource : ICodeSource
    {
        public Task<JobManifest> GetManifestAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult(new JobManifest { JobId = jobId });

        public Task<byte[]> FetchAssemblyAsync(string hash, CancellationToken cancellationToken) => throw new CodeLoadException(hash);
    }
}
