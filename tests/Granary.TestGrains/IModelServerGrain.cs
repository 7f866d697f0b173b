using Orleans;

namespace Granary.TestGrains;

/// <summary>The grain interface of the README's snippets.</summary>
public interface IModelServerGrain : IGrainWithStringKey
{
    Task<string> Generate(string prompt);
}
