using Orleans;

namespace Granary.TestGrains;

public sealed class GreeterGrain : Grain, IGreeterGrain
{
    public Task<string> Greet(string name) => Task.FromResult($"{this.GetPrimaryKeyString()} greets {name}");
}
