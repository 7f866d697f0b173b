using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp.Tests;

/// <summary>A tensor and a label travelling together inside a plain record.</summary>
public sealed record LabelledTensor(string Label, Tensor Values);

/// <summary>Remote functions over tensors: shipped to the cluster with the test assembly.</summary>
public static class TensorJobs
{
    public static Tensor Double(Tensor input) => input * 2;

    public static float Sum(Tensor input) => input.sum().item<float>();

    public static LabelledTensor Relabel(LabelledTensor input) => new(input.Label + "!", input.Values + 1);

    public static Tensor[] Split(Tensor input, int parts) => input.chunk(parts);

    public static string Device() => (TaskContext.Current ?? throw new InvalidOperationException("not in a task")).TorchDevice().ToString();

    public static int ProcessId() => Environment.ProcessId;

    public static float[] MatMul(int size)
    {
        using var a = torch.ones(size, size);
        using var b = torch.ones(size, size);
        using var c = torch.matmul(a, b);
        return c[0].data<float>().ToArray();
    }
}
