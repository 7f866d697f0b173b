using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp;

/// <summary>
/// Seeded weights without torch's global generator. Tasks, actors and ranks that share a process (a silo,
/// an embedded cluster, a test run) all draw from torch.manual_seed's one generator, in whatever order they
/// run, so "the same seed, the same weights" stops holding; a generator of the model's own keeps it.
/// </summary>
public static class SeededInitialization
{
    /// <summary>
    /// Redraws every parameter of <paramref name="module"/> from a generator seeded with <paramref name="seed"/>:
    /// uniform in ±1/√fan-in, as nn.Linear's default (a bias takes the fan-in of the weight before it).
    /// Returns the module.
    /// </summary>
    public static T InitializeFromSeed<T>(this T module, int seed)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        using var generator = new Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        var scale = 1.0;
        foreach (var parameter in module.parameters())
        {
            scale = parameter.shape.Length == 2 ? 1 / Math.Sqrt(parameter.shape[1]) : scale;
            using var drawn = (torch.rand(parameter.shape, generator: generator) * 2 - 1) * scale;
            parameter.copy_(drawn);
        }

        return module;
    }
}
