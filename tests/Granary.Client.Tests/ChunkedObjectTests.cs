using Granary.Runtime.Wire;

namespace Granary.Client.Tests;

/// <summary>
/// Large objects over real silos with a 2 MiB frame limit (the job's assemblies must still fit one frame) and
/// 256 KiB chunks: every value here is several frames long, so it can only move in chunks, client to silo,
/// silo to client, and silo to silo.
/// </summary>
public sealed class ChunkedObjectTests : IAsyncLifetime
{
    private GranaryClient _client = null!;

    public async Task InitializeAsync() =>
        _client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 1, MaxFrameBytes = 2 << 20, ObjectChunkBytes = 256 << 10 }).WithTimeout();

    public async Task DisposeAsync() => await _client.DisposeAsync().WithTimeout();

    [Fact]
    public async Task Values_far_beyond_the_frame_limit_put_and_get_byte_exact()
    {
        var bytes = new byte[9 << 20];
        Random.Shared.NextBytes(bytes);
        var doubles = Enumerable.Range(0, 1_200_000).Select(i => Math.Sqrt(i)).ToArray();
        var ints = Enumerable.Range(-1_200_000, 2_400_000).ToArray();

        var bytesRef = _client.Put(bytes);
        var doublesRef = _client.Put(doubles);
        var intsRef = _client.Put(ints);

        Assert.Equal(bytes, await bytesRef.WithTimeout());
        Assert.Equal(doubles, await doublesRef.WithTimeout());
        Assert.Equal(ints, await intsRef.WithTimeout());
    }

    [Fact]
    public async Task A_task_on_another_silo_pulls_a_chunked_object()
    {
        var doubles = Enumerable.Range(0, 1_200_000).Select(i => (double)i).ToArray();
        var stored = _client.Put(doubles);
        await stored.WaitAsync().WithTimeout();
        var holder = stored.Entry.Location!.NodeId;
        var other = _client.Cluster!.Silos.Skip(1).Single(s => s.NodeId != holder).NodeId;

        var sum = _client.Remote(() => TestJobs.SumDoubles(stored), new RemoteOptions { Placement = new NodeAffinityPlacement(other) });
        Assert.Equal(doubles.Sum(), await sum.WithTimeout());
    }

    [Fact]
    public async Task A_large_task_result_streams_to_a_task_on_another_silo_and_to_the_client()
    {
        var silos = _client.Cluster!.Silos.Skip(1).Select(s => s.NodeId).ToList();
        var range = _client.Remote(() => TestJobs.Range(3_000_000), new RemoteOptions { Placement = new NodeAffinityPlacement(silos[0]) });
        var sum = _client.Remote(() => TestJobs.SumInts(range), new RemoteOptions { Placement = new NodeAffinityPlacement(silos[1]) });

        Assert.Equal(Enumerable.Range(0, 3_000_000).Sum(v => (long)v), await sum.WithTimeout());
        Assert.Equal(Enumerable.Range(0, 3_000_000), await range.WithTimeout());
    }

    [Fact]
    public async Task A_holder_that_is_gone_fails_the_get_and_the_task_with_ObjectLostException()
    {
        // A node that is not (or no longer) a member of the cluster holds the object.
        var location = new ObjectLocation { ObjectId = "o-doomed", NodeId = "node-doomed", Address = "127.0.0.1:9", Size = 8 << 20 };

        var doomed = _client.RefTo<byte[]>(location);
        var error = await Assert.ThrowsAsync<ObjectLostException>(async () => await doomed.WithTimeout(TimeSpan.FromSeconds(20)));
        Assert.Equal("o-doomed", error.ObjectId);

        // A silo pulling the same object for a task fails the task the same way, instead of hanging.
        var length = _client.Remote(() => TestJobs.Length(doomed), new RemoteOptions { MaxRetries = 0 });
        await Assert.ThrowsAsync<ObjectLostException>(async () => await length.WithTimeout(TimeSpan.FromSeconds(20)));
    }
}
