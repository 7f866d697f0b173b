namespace Training;

/// <summary>One rank's (or the single process's) outcome: its losses and its final weights, flattened.</summary>
public sealed record TrainingResult(int Rank, string NodeId, float FirstLoss, float LastLoss, float[] Weights, double StepMilliseconds);
