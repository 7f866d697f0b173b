using Granary.Runtime.Gpus;

namespace Granary.Runtime.Tests;

public sealed class GpuInventoryTests
{
    private const long Gib = 1024L * 1024 * 1024;

    private static readonly GpuDevice[] _eightH100 = Enumerable.Range(0, 8)
        .Select(index => new GpuDevice(index, "NVIDIA H100 80GB HBM3", 80 * Gib))
        .ToArray();

    [Fact]
    public void Nvml_discovery_reports_a_reason_instead_of_throwing_without_a_driver()
    {
        // Holds on machines without libnvidia-ml (CI, this dev box); on a GPU node it must find devices instead.
        if (NvmlGpuDiscovery.TryDiscover(out var devices, out var reason))
        {
            Assert.NotEmpty(devices);
            Assert.All(devices, device => Assert.True(device.MemoryBytes > 0));
            return;
        }

        Assert.Empty(devices);
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void Detect_without_a_request_offers_no_gpus_when_nvml_is_unavailable()
    {
        var inventory = GpuInventory.Decide(false, [], "libnvidia-ml.so.1 could not be loaded", null, null, null, null);
        Assert.Empty(inventory.Devices);
        Assert.False(inventory.Simulated);
        Assert.Equal("no GPUs (NVML unavailable: libnvidia-ml.so.1 could not be loaded)", inventory.Source);
    }

    [Fact]
    public void Detect_simulates_the_requested_devices_when_nvml_is_unavailable()
    {
        var inventory = GpuInventory.Decide(false, [], "no driver", 4, "H100", 80 * Gib, null);
        Assert.True(inventory.Simulated);
        Assert.Equal([0, 1, 2, 3], inventory.Devices.Select(device => device.Index));
        Assert.All(inventory.Devices, device => Assert.Equal(new GpuDevice(device.Index, "H100", 80 * Gib, $"GPU-simulated-{device.Index}"), device));
        Assert.Equal("simulated: 4 x H100, 80 GiB each (NVML unavailable: no driver)", inventory.Source);
    }

    [Fact]
    public void Simulated_devices_default_to_a_16_GiB_SimulatedGPU()
    {
        var inventory = GpuInventory.Decide(false, [], "no driver", 2, null, null, null);
        Assert.Equal([new GpuDevice(0, "SimulatedGPU", 16 * Gib, "GPU-simulated-0"), new GpuDevice(1, "SimulatedGPU", 16 * Gib, "GPU-simulated-1")], inventory.Devices);
        Assert.StartsWith("simulated: 2 x SimulatedGPU, 16 GiB each", inventory.Source);
    }

    [Fact]
    public void Nvml_devices_are_used_as_found()
    {
        var inventory = GpuInventory.Decide(true, _eightH100, "", null, "ignored", 1, null);
        Assert.False(inventory.Simulated);
        Assert.Equal(_eightH100, inventory.Devices);
        Assert.Equal("NVML: 8 x NVIDIA H100 80GB HBM3", inventory.Source);
    }

    [Fact]
    public void A_smaller_request_takes_the_first_nvml_devices()
    {
        var inventory = GpuInventory.Decide(true, _eightH100, "", 3, null, null, null);
        Assert.Equal(_eightH100.Take(3), inventory.Devices);
        Assert.StartsWith("NVML: 3 x NVIDIA H100 80GB HBM3", inventory.Source);
        Assert.Contains("of 8", inventory.Source);

        Assert.Empty(GpuInventory.Decide(true, _eightH100, "", 0, null, null, null).Devices);
    }

    [Fact]
    public void A_larger_request_than_nvml_found_names_both_numbers()
    {
        var error = Assert.Throws<ArgumentException>(() => GpuInventory.Decide(true, _eightH100, "", 16, null, null, null));
        Assert.Contains("16", error.Message);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public void Nvml_listing_no_devices_falls_back_to_simulation()
    {
        var inventory = GpuInventory.Decide(true, [], "", 2, "A100", null, null);
        Assert.True(inventory.Simulated);
        Assert.Equal(2, inventory.Devices.Count);
        Assert.EndsWith("(NVML found no devices)", inventory.Source);
    }

    [Fact]
    public void Mixed_models_are_summarized_per_type()
    {
        GpuDevice[] mixed = [new(0, "NVIDIA A100", 40 * Gib), new(1, "NVIDIA A100", 40 * Gib), new(2, "Tesla T4", 16 * Gib)];
        Assert.Equal("NVML: 2 x NVIDIA A100, 1 x Tesla T4", GpuInventory.Decide(true, mixed, "", null, null, null, null).Source);
    }

    [Fact]
    public void Bad_flags_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuInventory.Decide(false, [], "x", -1, null, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuInventory.Decide(false, [], "x", 1, null, 0, null));
    }

    [Fact]
    public void Detect_on_this_machine_does_not_throw()
    {
        // Without NVML this simulates; on a GPU node it uses the real devices (4 or fewer keeps it valid there).
        var inventory = GpuInventory.Detect(null, null, null, null);
        Assert.False(inventory.Simulated);
        Assert.False(string.IsNullOrWhiteSpace(inventory.Source));
        if (!NvmlGpuDiscovery.TryDiscover(out _, out _))
        {
            Assert.Empty(inventory.Devices);
            var simulated = GpuInventory.Detect(4, "H100", 80 * Gib, null);
            Assert.True(simulated.Simulated);
            Assert.Equal(4, simulated.Devices.Count);
            Assert.StartsWith("simulated: 4 x H100, 80 GiB each (NVML unavailable: ", simulated.Source);
        }
    }
}
