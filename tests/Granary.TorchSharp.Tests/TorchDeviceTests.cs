namespace Granary.TorchSharp.Tests;

/// <summary>How an assigned GPU maps to a CUDA device number inside the process's CUDA_VISIBLE_DEVICES.</summary>
public sealed class TorchDeviceTests
{
    [Theory]
    [InlineData(3, "3", 0)]
    [InlineData(5, "2,5", 1)]
    [InlineData(5, " 2 , 5 ", 1)]
    [InlineData(2, null, 2)]
    [InlineData(2, "", 2)]
    [InlineData(4, "0,1", 4)]
    [InlineData(2, "2,3", 0)]
    [InlineData(3, "2,3", 1)]
    public void The_device_index_is_the_gpus_place_among_the_visible_devices(int gpu, string? visible, int expected) =>
        Assert.Equal(expected, TorchDevices.VisibleIndex(gpu, visible));

    [Fact]
    public void A_process_whose_visible_devices_are_uuids_is_refused_rather_than_guessed()
    {
        // An actor on a silo started with CUDA_VISIBLE_DEVICES=GPU-...: its GPU is a device index, which the UUIDs do not say.
        var error = Assert.Throws<InvalidOperationException>(() => TorchDevices.VisibleIndex(5, "GPU-5e1b0c1a,GPU-8c2d"));
        Assert.Contains("GPU 5", error.Message);
        Assert.Contains("CUDA_VISIBLE_DEVICES='GPU-5e1b0c1a,GPU-8c2d'", error.Message);
    }

    [Fact]
    public void Without_cuda_every_task_computes_on_the_cpu_even_with_gpus_assigned()
    {
        // TorchSharp-cpu has no CUDA: a task holding (simulated) GPUs still gets the CPU instead of a device that cannot exist.
        Assert.Equal("cpu", TorchDevices.For([0, 1]).ToString());
        Assert.Equal("cpu", TorchDevices.For([]).ToString());
    }
}
