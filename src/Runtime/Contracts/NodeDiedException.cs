namespace Granary;

/// <summary>The node running the work died or became unreachable; retrying elsewhere may succeed.</summary>
public sealed class NodeDiedException : GranaryException
{
    public NodeDiedException(string nodeId, string message, Exception? innerException = null) : base(message, innerException) => NodeId = nodeId;

    public string NodeId { get; }

    public override bool IsRetryable => true;
}
