namespace Granary.TorchSharp.Tests;

/// <summary>One embedded cluster (head + 2 workers over loopback) whose client carries tensors.</summary>
public sealed class TorchClusterFixture : IAsyncLifetime
{
    public GranaryClient Client { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Client = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Silos = 2,
            CpusPerSilo = 2,
            Client = new ClientOptions().UseTorchSharp(),
        }).WithTimeout();

    public async Task DisposeAsync() => await Client.DisposeAsync().WithTimeout();
}

[CollectionDefinition(Name)]
public sealed class TorchClusterCollection : ICollectionFixture<TorchClusterFixture>
{
    public const string Name = "embedded cluster with TorchSharp";
}
