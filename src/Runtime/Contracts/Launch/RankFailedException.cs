namespace Granary;

/// <summary>
/// A rank of a multi-rank launch failed, which stopped the other ranks. <see cref="Exception.InnerException"/>
/// is the rank's own failure (a <see cref="RemoteTaskException"/> for user code).
/// </summary>
public sealed class RankFailedException : GranaryException
{
    public RankFailedException(int rank, string nodeId, Exception inner)
        : base($"Rank {rank} on node {nodeId} failed: {inner.Message}", inner)
    {
        Rank = rank;
        NodeId = nodeId;
    }

    public int Rank { get; }

    public string NodeId { get; }
}
