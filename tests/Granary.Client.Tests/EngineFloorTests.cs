using Granary.Runtime.Grains;

namespace Granary.Client.Tests;

/// <summary>
/// The benchmarks' engine floor: the no-op grain answers through the client's Orleans client on every
/// node, so the engine-floor rows measure a call that works rather than one that fails fast.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EngineFloorTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_floor_grain_answers_on_every_node()
    {
        var nodes = await fixture.Client.GetNodesAsync().WithTimeout();
        foreach (var node in nodes.Where(n => n.Alive))
        {
            var grain = fixture.Client.ClusterClient.GetGrain<IEngineFloorGrain>(node.NodeId);
            Assert.Equal(0, await grain.PingAsync().WithTimeout());
            Assert.Equal(0, await grain.PingWithTokenAsync(CancellationToken.None).WithTimeout());
        }
    }
}
