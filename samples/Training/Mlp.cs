using Granary.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Training;

/// <summary>The model: a two-layer perceptron, its weights drawn from the seed so every process starts alike (Granary.TorchSharp's InitializeFromSeed: no global generator, so tasks sharing a process cannot change them).</summary>
public static class Mlp
{
    public static nn.Module<Tensor, Tensor> Create(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return nn.Sequential(("hidden", nn.Linear(config.Features, config.Hidden)), ("relu", nn.ReLU()), ("out", nn.Linear(config.Hidden, 1)))
            .InitializeFromSeed(config.Seed);
    }

    public static float[] Flatten(nn.Module model)
    {
        using var flat = torch.cat(model.parameters().Select(p => p.detach().flatten()).ToList());
        return flat.data<float>().ToArray();
    }
}
