namespace Training;

/// <summary>What to train: a synthetic regression set of <see cref="Samples"/> rows, an MLP, SGD with momentum.</summary>
public sealed record TrainingConfig(int Samples = 4_096, int Features = 16, int Hidden = 64, int Steps = 200, double LearningRate = 0.05, int Seed = 7, double Momentum = 0.9);
