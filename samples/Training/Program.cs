using Training;

// Data-parallel training of a small MLP with TorchSharp on an embedded cluster (see TrainingDemo).
return await TrainingDemo.RunAsync(Console.Out, new TrainingConfig()) ? 0 : 1;
