using Granary;
using Granary.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ReadmeTorchSnippets;

/// <summary>The README's TorchSharp snippets as written (ReadmeSnippetTests checks each block is here); ReadmeTorchSnippetTests runs them.</summary>
public static class TorchJobs
{
    public static Tensor Normalize(Tensor x)
    {
        var device = TaskContext.Current!.TorchDevice();                      // cuda:0 inside the task's CUDA_VISIBLE_DEVICES, else cpu
        using var onDevice = x.to(device);
        return ((onDevice - onDevice.mean()) / onDevice.std()).cpu();
    }

    /// <summary>One data-parallel step of the README's fragment; returns the gradient the rank stepped with.</summary>
    public static async Task<float[]> StepAsync(RankContext ctx)
    {
        using var model = nn.Linear(2, 1, hasBias: false);
        using (torch.no_grad())
        {
            model.weight!.fill_(1f);
        }

        using var optimizer = optim.SGD(model.parameters(), 0.0);
        float[] gradient;
        using (var x = torch.full(1, 2, ctx.Rank + 1f))
        using (var loss = model.forward(x).sum())
        {
            loss.backward();
            await ctx.AllReduceGradientsAsync(model);    // every gradient in one all-reduce, averaged over the ranks
            optimizer.step();
        }

        gradient = model.weight!.grad!.data<float>().ToArray();
        return gradient;
    }
}

public static class Snippets
{
    public static async Task<(float Mean, float Std, long[] Shape)> NormalizeAsync(CancellationToken cancellationToken = default)
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Client = new ClientOptions().UseTorchSharp() });
        using var x = torch.rand(1024, 1024);
        using Tensor y = await cluster.Remote(() => TorchJobs.Normalize(x));     // raw bytes with dtype and shape, both ways
        return (y.mean().item<float>(), y.std().item<float>(), y.shape);
    }
}
