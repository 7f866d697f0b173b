namespace ModelServer;

/// <summary>What a scoring task reports: where it ran, where its request was served, and the scores.</summary>
public sealed record ScoredBatch(int Batch, string TaskNode, string ServerNode, float[] Scores);
