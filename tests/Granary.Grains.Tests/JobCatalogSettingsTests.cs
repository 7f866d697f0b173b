using Granary.Grains.Head;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

/// <summary>The head's side of job settings and the code size limit.</summary>
public sealed class JobCatalogSettingsTests
{
    [Fact]
    public void The_head_refuses_a_registration_over_the_jobs_code_limit_naming_size_limit_and_option()
    {
        var catalog = new JobCatalog(new AssemblyBlobCache(), new Granary.Grains.Head.Persistence.MemoryHeadStore());
        var small = new RegisterJobCode { JobId = "j", MaxCodeBytes = 1000, Assemblies = { new AssemblyRef { Name = "A", Hash = "a", Size = 600 } } };
        catalog.Register(small);
        var more = new RegisterJobCode { JobId = "j", MaxCodeBytes = 1000, Assemblies = { new AssemblyRef { Name = "B", Hash = "b", Size = 500 } } };
        var error = Assert.Throws<CodeLoadException>(() => catalog.Register(more));
        Assert.Contains("ships 1,100 bytes of code, over its limit of 1,000 bytes (ClientOptions.MaxCodeBytes", error.Message);
        Assert.Single(catalog.Manifest("j").Assemblies);
    }

    [Fact]
    public async Task Settings_reach_the_manifest_and_the_store_keeps_them_without_secrets()
    {
        var store = new SavedJobs();
        var catalog = new JobCatalog(new AssemblyBlobCache(), store);
        var settings = new JobSettings { LogToDriver = true, Environment = { ["URI"] = "http://x" }, Secrets = { ["TOKEN"] = "s3cret" } };
        await catalog.RegisterAsync(new RegisterJobCode { JobId = "j", Settings = settings, Assemblies = { new AssemblyRef { Name = "A", Hash = "a", Size = 1 } } }, CancellationToken.None);

        Assert.Equal("s3cret", catalog.Manifest("j").Settings.Secrets["TOKEN"]);
        var saved = Assert.Single(store.Jobs);
        Assert.Equal("http://x", saved.Settings.Environment["URI"]);
        Assert.Empty(saved.Settings.Secrets);
        Assert.DoesNotContain("s3cret", saved.ToString(), StringComparison.Ordinal);
    }

    private sealed class SavedJobs : Granary.Grains.Head.Persistence.IHeadStore
    {
        public List<JobManifest> Jobs { get; } = [];

        public bool IsPersistent => true;

        public Task<Granary.Grains.Head.Persistence.HeadSnapshot> LoadAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SaveClusterIdAsync(string clusterId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SaveNodeAsync(NodeInfo node, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SaveActorAsync(PersistedActor actor, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveActorAsync(string actorId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SaveJobAsync(JobManifest manifest, CancellationToken cancellationToken)
        {
            Jobs.Add(manifest.Clone());
            return Task.CompletedTask;
        }

        public Task SaveBlobAsync(string hash, byte[] content, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SaveGroupAsync(PersistedGroup group, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveGroupAsync(string groupId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
