using Granary.Runtime.Grains;

namespace Granary.Client;

/// <summary>
/// The client's way to one node: its grain, and a token cancelled the moment the head says the node died.
/// Every call to the node carries the token, so calls in flight there fail at once instead of waiting out
/// Orleans' response timeout. Thread-safe.
/// </summary>
internal sealed class NodeChannel(string nodeId, INodeGrain grain)
{
    private readonly CancellationTokenSource _died = new();
    private string? _deathReason;

    public string NodeId { get; } = nodeId;

    public INodeGrain Grain { get; } = grain;

    public CancellationToken Died => _died.Token;

    public bool IsDead => _died.IsCancellationRequested;

    public void MarkDead(string reason)
    {
        Interlocked.CompareExchange(ref _deathReason, reason, null);
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
}
