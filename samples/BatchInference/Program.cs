using BatchInference;

// Batch inference with a TorchSharp model over a pool of actor replicas (MapBatches), on an embedded cluster (see BatchInferenceDemo).
return await BatchInferenceDemo.RunAsync(Console.Out) ? 0 : 1;
