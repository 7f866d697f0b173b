using Orleans;

namespace Granary.TestGrains;

/// <summary>A user's own grain, hosted in the same silo as Granary.</summary>
public interface IGreeterGrain : IGrainWithStringKey
{
    Task<string> Greet(string name);
}
