using TorchSharp;
using static TorchSharp.torch;

namespace Training;

/// <summary>The model: a two-layer perceptron, its weights drawn from the seed so every process starts alike (see InitializeFromSeed).</summary>
public static class Mlp
{
    public static nn.Module<Tensor, Tensor> Create(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var model = nn.Sequential(("hidden", nn.Linear(config.Features, config.Hidden)), ("relu", nn.ReLU()), ("out", nn.Linear(config.Hidden, 1)));
        InitializeFromSeed(model, config.Seed);
        return model;
    }

    /// <summary>
    /// Draws every parameter from a generator of its own rather than torch's global one (torch.manual_seed):
    /// other threads of the process (other tasks, other tests) draw from the global generator too, and would
    /// make "the same seed, the same weights" false. Uniform in ±1/√fan-in, as nn.Linear's default.
    /// </summary>
    public static void InitializeFromSeed(nn.Module model, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var generator = new Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        var scale = 1.0;
        foreach (var parameter in model.parameters())
        {
            scale = parameter.shape.Length == 2 ? 1 / Math.Sqrt(parameter.shape[1]) : scale;
            using var drawn = (torch.rand(parameter.shape, generator: generator) * 2 - 1) * scale;
            parameter.copy_(drawn);
        }
    }

    public static float[] Flatten(nn.Module model)
    {
        using var flat = torch.cat(model.parameters().Select(p => p.detach().flatten()).ToList());
        return flat.data<float>().ToArray();
    }
}
