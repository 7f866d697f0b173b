#if ENGINE_FLOOR
using Granary.Runtime.Grains;

namespace Granary.Benchmarks;

/// <summary>
/// The engine floor: raw Orleans calls of a no-op grain on a worker silo. The `_direct` rows go through an
/// Orleans client whose gateway is that worker, the route Granary's client takes to a worker once its
/// direct route is up, and Granary's sync rows are compared with that sync figure; the others go through
/// the client's own connection, relayed by the head's gateway. Builds without the grain (an older tree)
/// leave them out.
/// </summary>
internal sealed class EngineFloorRows(GranaryClient client, double scale) : IAsyncDisposable
{
    private const int InFlight = 10_000;
    private readonly CancellationTokenSource _live = new();
    private Grains.Hosting.ClusterClientHost? _direct;

    public async ValueTask DisposeAsync()
    {
        _live.Dispose();
        if (_direct is not null)
        {
            await _direct.DisposeAsync();
        }
    }

    public async Task<List<Row>> CreateAsync()
    {
        var nodes = await client.GetNodesAsync();
        var worker = nodes.FirstOrDefault(n => n.Alive && !n.IsHead) ?? nodes.First(n => n.Alive);
        var grain = client.ClusterClient.GetGrain<IEngineFloorGrain>(worker.NodeId);
        await grain.PingAsync();

        // A second Orleans client whose only gateway is the worker itself: its calls skip the head's relay.
        _direct = await Grains.Hosting.ClusterClientHost.ConnectAsync(worker.Address, new ClientOptions().ClusterId, TimeSpan.FromSeconds(30), null, null, null, CancellationToken.None);
        var direct = _direct.Client.GetGrain<IEngineFloorGrain>(worker.NodeId);
        await direct.PingAsync();
        return
        [
            new(Rows.EngineFloorSync, "ops/s", "loopback", () => OneAtATimeAsync(() => direct.PingAsync())),
            new("engine_floor_grain_calls_async_10k_direct", "ops/s", null, () => AllAtOnceAsync(direct)),
            new("engine_floor_grain_calls_sync", "ops/s", "loopback", () => OneAtATimeAsync(() => grain.PingAsync())),

            // A live token, like a node's Died token: Orleans can skip the bookkeeping for one that can never cancel.
            new("engine_floor_grain_calls_sync_with_token", "ops/s", "loopback", () => OneAtATimeAsync(() => grain.PingWithTokenAsync(_live.Token))),
            new("engine_floor_grain_calls_async_10k", "ops/s", null, () => AllAtOnceAsync(grain)),
        ];
    }

    /// <summary>Calls awaited one after another: the round trip of one call.</summary>
    private async Task<double> OneAtATimeAsync(Func<Task<int>> call)
    {
        var n = Math.Max(10, (int)(2_000 * scale));
        for (var i = 0; i < n; i++)
        {
            await call();
        }

        return n;
    }

    /// <summary><see cref="InFlight"/> calls started together, then awaited: the engine's throughput.</summary>
    private static async Task<double> AllAtOnceAsync(IEngineFloorGrain grain)
    {
        var calls = new Task<int>[InFlight];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = grain.PingAsync();
        }

        await Task.WhenAll(calls);
        return InFlight;
    }
}
#endif
