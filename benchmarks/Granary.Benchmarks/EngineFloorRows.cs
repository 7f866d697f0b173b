#if ENGINE_FLOOR
using Granary.Runtime.Grains;

namespace Granary.Benchmarks;

/// <summary>
/// The engine floor: raw Orleans calls of a no-op grain on a worker silo, through the client's own Orleans
/// client, so they cross the same gateway and silos as Granary's task pushes and actor calls. Granary's
/// sync rows are compared with the sync figure. Builds without the grain (an older tree) leave it out.
/// </summary>
internal sealed class EngineFloorRows(GranaryClient client, double scale) : IDisposable
{
    private const int InFlight = 10_000;
    private readonly CancellationTokenSource _live = new();

    public void Dispose() => _live.Dispose();

    public async Task<List<Row>> CreateAsync()
    {
        var nodes = await client.GetNodesAsync();
        var worker = nodes.FirstOrDefault(n => n.Alive && !n.IsHead) ?? nodes.First(n => n.Alive);
        var grain = client.ClusterClient.GetGrain<IEngineFloorGrain>(worker.NodeId);
        await grain.PingAsync();
        return
        [
            new(Rows.EngineFloorSync, "ops/s", "loopback", async () =>
            {
                var n = Math.Max(10, (int)(2_000 * scale));
                for (var i = 0; i < n; i++)
                {
                    await grain.PingAsync();
                }

                return n;
            }),
            new("engine_floor_grain_calls_sync_with_token", "ops/s", "loopback", async () =>
            {
                // A live token, like a node's Died token: Orleans can skip the bookkeeping for one that can never cancel.
                var n = Math.Max(10, (int)(2_000 * scale));
                for (var i = 0; i < n; i++)
                {
                    await grain.PingWithTokenAsync(_live.Token);
                }

                return n;
            }),
            new("engine_floor_grain_calls_async_10k", "ops/s", null, async () =>
            {
                var calls = new Task<int>[InFlight];
                for (var i = 0; i < calls.Length; i++)
                {
                    calls[i] = grain.PingAsync();
                }

                await Task.WhenAll(calls);
                return InFlight;
            }),
        ];
    }
}
#endif
