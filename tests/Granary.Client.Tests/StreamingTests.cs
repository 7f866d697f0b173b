namespace Granary.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class StreamingTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task Items_reach_the_reader_while_the_task_runs()
    {
        var gate = Path.Combine(Path.GetTempPath(), "granary-stream-gate-" + Guid.NewGuid().ToString("N"));
        try
        {
            await ReadWithGate(gate).WaitAsync(Bound);
        }
        finally
        {
            File.Delete(gate);
        }
    }

    private async Task ReadWithGate(string gate)
    {
        var stream = Client.Stream(() => StreamJobs.FirstThenWait(gate, 4));
        var values = new List<int>();
        await foreach (var item in stream)
        {
            values.Add(await item);
            if (values.Count == 1)
            {
                // The task waits for this file, so it cannot have ended yet.
                Assert.False(stream.Completion.IsReady);
                await File.WriteAllTextAsync(gate, "open");
            }
        }

        Assert.Equal([0, 1, 2, 3], values);
        Assert.Equal(4, await stream.Completion);
    }

    [Fact]
    public async Task Large_items_of_a_plain_iterator_are_objects_on_their_node()
    {
        // 40,000 doubles: 320 KB each, above the inline threshold.
        var refs = new List<ObjectRef<double[]>>();
        await foreach (var item in Client.Stream(() => StreamJobs.Blocks(3, 40_000)).WithCancellation(new CancellationTokenSource(Bound).Token))
        {
            refs.Add(item);
        }

        Assert.Equal(3, refs.Count);
        Assert.Equal(3, refs.Select(r => r.Id).Distinct().Count());
        Assert.Equal(2d, (await refs[2].WithTimeout())[^1]);
        Assert.Equal(40_000d, await Client.Remote(() => TestJobs.SumDoubles(refs[1])).WithTimeout());
    }

    [Fact]
    public async Task A_failure_part_way_ends_the_stream_after_the_items_it_produced()
    {
        var read = new List<string>();
        var stream = Client.Stream(() => StreamJobs.FailAfter(2));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in stream.WithCancellation(new CancellationTokenSource(Bound).Token))
            {
                read.Add(await item.WithTimeout());
            }
        });

        Assert.Equal(["item 0", "item 1"], read);
        Assert.Equal("stream broke after 2", error.Remote().RemoteMessage);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await stream.Completion.WithTimeout());
    }

    [Fact]
    public async Task A_stream_from_a_worker_process_arrives_too()
    {
        var stream = Client.Stream(() => StreamJobs.Blocks(2, 40_000), new RemoteOptions { Isolation = Isolation.Process });
        var lasts = new List<double>();
        await foreach (var item in stream.WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token))
        {
            lasts.Add((await item.WithTimeout())[^1]);
        }

        Assert.Equal([0d, 1d], lasts);
        Assert.Equal(2, await stream.Completion.WithTimeout());
    }

    [Fact]
    public async Task A_stream_is_read_once()
    {
        var stream = Client.Stream(() => StreamJobs.Blocks(1, 1));
        await foreach (var item in stream.WithCancellation(new CancellationTokenSource(Bound).Token))
        {
            Assert.Single(await item.WithTimeout());
        }

        var error = Assert.Throws<InvalidOperationException>(() => stream.GetAsyncEnumerator());
        Assert.Contains("read once", error.Message);
    }
}
