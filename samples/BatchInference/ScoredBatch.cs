namespace BatchInference;

/// <summary>A batch's scores, one a row in the batch's order, and the replica that computed them.</summary>
public sealed record ScoredBatch(string Replica, float[] Scores);
