using TorchSharp;
using static TorchSharp.torch;

namespace Training;

/// <summary>The model: a two-layer perceptron, its weights drawn from the seed so every process starts alike.</summary>
public static class Mlp
{
    public static nn.Module<Tensor, Tensor> Create(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        torch.manual_seed(config.Seed);
        return nn.Sequential(("hidden", nn.Linear(config.Features, config.Hidden)), ("relu", nn.ReLU()), ("out", nn.Linear(config.Hidden, 1)));
    }

    public static float[] Flatten(nn.Module model)
    {
        using var flat = torch.cat(model.parameters().Select(p => p.detach().flatten()).ToList());
        return flat.data<float>().ToArray();
    }
}
