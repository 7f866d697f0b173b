using Training;

namespace Granary.TorchSharp.Tests;

/// <summary>samples/Training: data-parallel training with TorchSharp gives single-process training's weights on every rank.</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class TrainingSampleTests(TorchClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_sample_converges_and_its_ranks_equal_single_process_training()
    {
        var output = new StringWriter();
        var ok = await TrainingDemo.RunAsync(output, new TrainingConfig()).WithTimeout(Bound);
        Assert.True(ok, output.ToString());
    }

    [Fact]
    public async Task Three_ranks_in_local_mode_average_their_gradients_into_the_same_step()
    {
        var config = new TrainingConfig(Samples: 1_536, Steps: 40);
        var ranks = await fixture.Client.Distributed(new DistributedOptions { Gpus = 3, Remote = false })
            .RunAsync(ctx => DataParallelTraining.TrainAsync(ctx, config)).WithTimeout(Bound);
        var reference = DataParallelTraining.SingleProcess(config);

        Assert.Equal([0, 1, 2], ranks.Select(r => r.Rank));
        Assert.All(ranks, r => Assert.Equal(ranks[0].Weights, r.Weights));
        Assert.All(ranks[0].Weights.Zip(reference.Weights), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= TrainingDemo.Tolerance, $"{pair.First} vs {pair.Second}"));
        Assert.True(ranks[0].LastLoss < ranks[0].FirstLoss, $"loss {ranks[0].FirstLoss} -> {ranks[0].LastLoss}");
    }

    [Fact]
    public async Task Samples_that_do_not_split_evenly_fail_the_launch_naming_the_fix()
    {
        var config = new TrainingConfig(Samples: 1_001, Steps: 1);
        var failure = await Assert.ThrowsAsync<RankFailedException>(() => fixture.Client.Distributed(new DistributedOptions { Gpus = 2, Remote = false })
            .RunAsync(ctx => DataParallelTraining.TrainAsync(ctx, config)).WithTimeout(Bound));
        Assert.Contains("use a multiple of 2", failure.ToString());
    }
}
