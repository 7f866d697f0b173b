namespace Granary.Client.Tests;

/// <summary>One embedded cluster (head + 2 workers over loopback TCP) shared by the tests of a collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public GranaryClient Client { get; private set; } = null!;

    public LocalCluster Cluster => Client.Cluster!;

    public async Task InitializeAsync() =>
        Client = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Silos = 2,
            CpusPerSilo = 2,
            ResourcesPerSilo = new Dictionary<string, double> { ["slot"] = 1 },
        }).WithTimeout();

    public async Task DisposeAsync() => await Client.DisposeAsync().WithTimeout();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "embedded cluster";
}
