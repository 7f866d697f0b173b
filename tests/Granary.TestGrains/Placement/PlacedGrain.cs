using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace Granary.TestGrains.Placement;

/// <summary>Reports the silo it runs on; the subclasses differ only in their placement attribute.</summary>
public abstract class PlacedGrain : Grain, IPlacedGrain
{
    public Task<string> Node() => Task.FromResult(ServiceProvider.GetRequiredService<ILocalSiloDetails>().Name);

    public Task<string> NodeOfPreferLocalGrain(string key) =>
        GrainFactory.GetGrain<IPlacedGrain>(key, typeof(PreferLocalGrain).FullName).Node();
}
