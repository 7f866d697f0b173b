namespace ModelServer;

/// <summary>A server's answer: its node, and one score a row.</summary>
public sealed record Prediction(string ServerNode, float[] Scores);
