using Orleans;

namespace Granary.Runtime.Grains;

/// <summary>
/// The engine floor: a grain that does nothing, keyed by node id and pinned to that node's silo like
/// <see cref="INodeGrain"/>. Benchmarks call it through the client's Orleans client, so a raw Orleans call
/// over the same gateway, silos and filters is measured beside Granary's tasks and actor calls, which ride
/// the same path with Granary's work on top. Nothing in Granary itself calls it.
/// </summary>
internal interface IEngineFloorGrain : IGrainWithStringKey
{
    /// <summary>Answers at once, so the figure is Orleans' cost of one call and nothing else.</summary>
    Task<int> PingAsync();

    /// <summary>
    /// The same no-op taking a cancellation token, as Granary's task pushes and actor calls do (the token
    /// that cancels calls to a node that dies): what a cancellable call costs Orleans beside a plain one.
    /// </summary>
    Task<int> PingWithTokenAsync(CancellationToken cancellationToken = default);
}
