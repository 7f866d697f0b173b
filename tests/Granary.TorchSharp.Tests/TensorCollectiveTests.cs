namespace Granary.TorchSharp.Tests;

/// <summary>The multi-rank collectives over tensors, on two ranks in local mode (worker processes).</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class TensorCollectiveTests(TorchClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task All_reduce_and_broadcast_work_in_place_and_all_gather_keeps_each_ranks_shape()
    {
        var ranks = await fixture.Client.Distributed(new DistributedOptions { Gpus = 2, Remote = false })
            .RunAsync(ctx => RankTensorJobs.CollectivesAsync(ctx)).WithTimeout(Bound);

        Assert.All(ranks, r =>
        {
            Assert.Equal(Enumerable.Repeat(3f, 6), r.Summed);
            Assert.Equal(new[] { 1.0, 0.0 }, r.Maxed);
            Assert.Equal(new long[] { 7, 8, 9 }, r.Broadcast);
            Assert.Equal(new[] { new long[] { 1, 2 }, new long[] { 2, 2 } }, r.GatheredShapes);
            Assert.Equal(new[] { 0, 0, 1, 1, 1, 1 }, r.Gathered);
            Assert.True(r.SameObject, "AllReduceAsync returns the tensor it changed");

            // Simulated GPUs and TorchSharp-cpu: the rank's device is the CPU.
            Assert.Equal("cpu", r.Device);
        });
    }

    [Fact]
    public async Task A_dtype_the_collectives_cannot_reduce_fails_the_rank_naming_the_conversion()
    {
        var failure = await Assert.ThrowsAsync<RankFailedException>(() => fixture.Client.Distributed(new DistributedOptions { Gpus = 2, Remote = false })
            .RunAsync(ctx => RankTensorJobs.ReduceBoolAsync(ctx)).WithTimeout(Bound));
        Assert.Contains("tensor.to(ScalarType.Float32)", failure.ToString());
    }
}
