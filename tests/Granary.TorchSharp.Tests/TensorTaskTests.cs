using TorchSharp;
using static TorchSharp.torch;

namespace Granary.TorchSharp.Tests;

/// <summary>Tensors as arguments, results and Puts on an embedded cluster, in the silo and in worker processes.</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class TensorTaskTests(TorchClusterFixture fixture)
{
    private GranaryClient Client => fixture.Client;

    [Fact]
    public async Task A_tensor_goes_in_and_comes_back_with_its_dtype_shape_and_values()
    {
        using var input = torch.arange(0, 12, dtype: ScalarType.Float32).reshape(3, 4);
        using var doubled = await Client.Remote(() => TensorJobs.Double(input)).WithTimeout();

        Assert.Equal(ScalarType.Float32, doubled.dtype);
        Assert.Equal(new long[] { 3, 4 }, doubled.shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 2f), doubled.data<float>().ToArray());
    }

    [Fact]
    public async Task A_worker_process_loads_libtorch_and_reads_the_tensor()
    {
        using var input = torch.ones(1000, dtype: ScalarType.Float32);
        var options = new RemoteOptions { Isolation = Isolation.Process };
        var sum = await Client.Remote(() => TensorJobs.Sum(input), options).WithTimeout();
        var worker = await Client.Remote(() => TensorJobs.ProcessId(), options).WithTimeout();

        Assert.Equal(1000f, sum);
        Assert.NotEqual(Environment.ProcessId, worker);
        Assert.Equal(new float[] { 64, 64 }, (await Client.Remote(() => TensorJobs.MatMul(64), options).WithTimeout())[..2]);
    }
}
