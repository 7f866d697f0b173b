namespace Granary.Client.Tests;

/// <summary>
/// Large objects and worker processes (Isolation.Process) under a 2 MiB frame limit: a worker pulls a chunked
/// argument from its silo, and streams a result too large for one frame into the silo's store.
/// </summary>
public sealed class ChunkedWorkerTests : IAsyncLifetime
{
    private static readonly RemoteOptions Isolated = new() { Isolation = Isolation.Process, MaxRetries = 0 };
    private GranaryClient _client = null!;

    public async Task InitializeAsync() =>
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 1, MaxFrameBytes = 2 << 20, ObjectChunkBytes = 256 << 10 }).WithTimeout();

    public async Task DisposeAsync() => await _client.DisposeAsync().WithTimeout();

    [Fact]
    public async Task A_worker_process_pulls_a_chunked_argument_and_streams_back_a_large_result()
    {
        var input = new byte[8 << 20];
        Random.Shared.NextBytes(input);
        var stored = _client.Put(input);
        Assert.Equal(input.Length, await _client.Remote(() => TestJobs.Length(stored), Isolated).WithTimeout());

        var result = _client.Remote(() => TestJobs.Bytes(6_000_000), Isolated);
        var bytes = await result.WithTimeout();
        Assert.Equal(6_000_000, bytes.Length);
        Assert.Equal(Enumerable.Range(0, 6_000_000).Select(i => (byte)i), bytes);

        // The result went to the silo's store, so a later task finds it there.
        Assert.Equal(6_000_000, await _client.Remote(() => TestJobs.Length(result)).WithTimeout());
    }
}
