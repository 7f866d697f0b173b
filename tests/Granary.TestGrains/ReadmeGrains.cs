using Orleans;

namespace Granary.TestGrains;

/// <summary>The README's grain snippet ("On your own Orleans grains"), compiled as written.</summary>
[GpuTypePlacement("H100")]
public sealed class ModelServerGrain : Grain, IModelServerGrain
{
    public Task<string> Generate(string prompt) => Task.FromResult(prompt);
}
