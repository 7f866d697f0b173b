using ReadmeTorchSnippets;

namespace Granary.TorchSharp.Tests;

/// <summary>The README's TorchSharp snippets do what their comments say.</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class ReadmeTorchSnippetTests(TorchClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Normalize_comes_back_normalized_with_its_shape()
    {
        var (mean, std, shape) = await Snippets.NormalizeAsync().WithTimeout(Bound);
        Assert.Equal(new long[] { 1024, 1024 }, shape);
        Assert.InRange(mean, -1e-4f, 1e-4f);
        Assert.InRange(std, 0.999f, 1.001f);
    }

    [Fact]
    public async Task The_training_fragment_steps_every_rank_with_the_mean_gradient()
    {
        // Rank r's input is [r+1, r+1], so its gradient is that; the mean over 2 ranks is [1.5, 1.5].
        var gradients = await fixture.Client.Distributed(new DistributedOptions { Gpus = 2, Remote = false })
            .RunAsync(ctx => TorchJobs.StepAsync(ctx)).WithTimeout(Bound);
        Assert.All(gradients, g => Assert.Equal(new[] { 1.5f, 1.5f }, g));
    }
}
