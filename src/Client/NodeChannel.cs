using Granary.Runtime.Grains;
using Orleans;

namespace Granary.Client;

/// <summary>
/// The client's way to one node: its grain, and a token cancelled the moment the head says the node died.
/// Every call to the node carries the token, so calls in flight there fail at once instead of waiting out
/// Orleans' response timeout. Calls go through the client's own Orleans connection (the head's gateway,
/// which relays them) until a direct route to the node is up (<see cref="DirectRoutes"/>). Thread-safe.
/// </summary>
internal sealed class NodeChannel(string nodeId, IGrainFactory relay)
{
    private readonly CancellationTokenSource _died = new();
    private readonly Route _relayed = new(relay, relay.GetGrain<INodeGrain>(nodeId));
    private Route? _direct;
    private string? _deathReason;

    public string NodeId { get; } = nodeId;

    /// <summary>The node's grain, on the shortest route open now.</summary>
    public INodeGrain Grain => (Volatile.Read(ref _direct) ?? _relayed).Node;

    /// <summary>Where to get the grains that live on this node (its actors), on the same route as <see cref="Grain"/>.</summary>
    public IGrainFactory Grains => (Volatile.Read(ref _direct) ?? _relayed).Factory;

    public bool HasRoute => Volatile.Read(ref _direct) is not null;

    public CancellationToken Died => _died.Token;

    public bool IsDead => _died.IsCancellationRequested;

    public void UseRoute(IGrainFactory direct) => Volatile.Write(ref _direct, new Route(direct, direct.GetGrain<INodeGrain>(NodeId)));

    public void MarkDead(string reason)
    {
        Interlocked.CompareExchange(ref _deathReason, reason, null);
        Volatile.Write(ref _direct, null);
        _died.Cancel();
    }

    /// <summary>
    /// The error a failed call to this node stands for: Granary's own errors as they are; anything else
    /// (the node was declared dead, its silo is unreachable, the call was cut off) means the node failed.
    /// </summary>
    public Exception Failure(Exception error, string doing)
    {
        if (error is AggregateException { InnerException: { } inner })
        {
            error = inner;
        }

        if (error is GranaryException and not NodeDiedException)
        {
            return error;
        }

        var reason = Volatile.Read(ref _deathReason) ?? error.Message;
        return new NodeDiedException(NodeId, $"Node {NodeId} failed while {doing}: {reason}", error);
    }

    private sealed record Route(IGrainFactory Factory, INodeGrain Node);
}
