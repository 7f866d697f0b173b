using Granary.Grains.SiloPlacement;
using Granary.Runtime.Grains;
using Orleans;
using Orleans.Concurrency;

namespace Granary.Grains;

/// <summary>
/// The no-op behind <see cref="IEngineFloorGrain"/>: placed on the node its key names, like the node
/// grain, so a benchmark's raw Orleans call travels the same hop as a task push. Reentrant like the node
/// grain, so calls in flight are not serialized by Orleans turns that Granary's own calls do not pay.
/// </summary>
[NodePlacement]
[Reentrant]
internal sealed class EngineFloorGrain : Grain, IEngineFloorGrain
{
    public Task<int> PingAsync() => Task.FromResult(0);

    public Task<int> PingWithTokenAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}
