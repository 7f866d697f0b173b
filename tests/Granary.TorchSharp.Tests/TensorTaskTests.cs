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

    [Fact]
    public async Task Tensors_inside_records_and_arrays_travel_too()
    {
        using var values = torch.tensor(new[] { 1.5, 2.5 });
        var relabelled = await Client.Remote(() => TensorJobs.Relabel(new LabelledTensor("x", values))).WithTimeout();
        Assert.Equal("x!", relabelled.Label);
        Assert.Equal(ScalarType.Float64, relabelled.Values.dtype);
        Assert.Equal(new[] { 2.5, 3.5 }, relabelled.Values.data<double>().ToArray());

        using var ramp = torch.arange(0, 6, dtype: ScalarType.Int64);
        var parts = await Client.Remote(() => TensorJobs.Split(ramp, 3)).WithTimeout();
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 4, 5 }, parts[2].data<long>().ToArray());
    }

    [Fact]
    public async Task A_put_tensor_is_read_by_a_task_on_another_silo_and_by_get()
    {
        // 4 MB: past the inline threshold, so the value is stored and pulled by the silo that runs the task.
        using var big = torch.ones(1024, 1024, dtype: ScalarType.Float32);
        var stored = Client.Put(big);
        var options = new RemoteOptions { Isolation = Isolation.Process };
        Assert.Equal(1024f * 1024f, await Client.Remote(() => TensorJobs.Sum(stored), options).WithTimeout());

        var doubled = Client.Remote(() => TensorJobs.Double(stored), options);
        using var back = await doubled.WithTimeout();
        Assert.Equal(new long[] { 1024, 1024 }, back.shape);
        Assert.Equal(2f, back[1023, 1023].item<float>());
    }

    [Fact]
    public async Task A_task_without_a_gpu_computes_on_the_cpu()
    {
        Assert.Equal("cpu", await Client.Remote(() => TensorJobs.Device()).WithTimeout());
        Assert.Equal("cpu", await Client.Remote(() => TensorJobs.Device(), new RemoteOptions { Isolation = Isolation.Process }).WithTimeout());
    }
}
