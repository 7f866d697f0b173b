using Granary.Runtime.Gpus;

namespace Granary.Runtime.Tests;

/// <summary>CUDA_VISIBLE_DEVICES on a silo: which of its real or simulated GPUs it manages, and what it refuses.</summary>
public sealed class GpuInventoryRestrictionTests
{
    private const long Gib = 1024L * 1024 * 1024;
    private const string H100 = "NVIDIA H100 80GB HBM3";

    // UUIDs shaped like NVML's, each starting with its own letter so "GPU-c" is a unique prefix (device 2's).
    private static readonly GpuDevice[] _eightH100 = Enumerable.Range(0, 8)
        .Select(index => new GpuDevice(index, H100, 80 * Gib, $"GPU-{(char)('a' + index)}1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c{index:D2}"))
        .ToArray();

    private static GpuInventory Nvml(string? visible, int? count = null) =>
        GpuInventory.Decide(true, _eightH100, "", count, null, null, visible);

    private static GpuInventory Simulated(int count, string? visible) =>
        GpuInventory.Decide(false, [], "no driver", count, "H100", 80 * Gib, visible);

    private static IEnumerable<int> Indexes(GpuInventory inventory) => inventory.Devices.Select(d => d.Index);

    [Fact]
    public void Nvml_devices_are_kept_as_listed_in_the_listed_order_with_their_own_indexes()
    {
        var first = Nvml("0,1");
        Assert.Equal(_eightH100.Take(2), first.Devices);
        Assert.Equal($"NVML: 2 x {H100} (devices 0,1 of 8, from CUDA_VISIBLE_DEVICES)", first.Source);

        var reordered = Nvml(" 5 , 2,");
        Assert.Equal([5, 2], Indexes(reordered));
        Assert.False(reordered.Simulated);
        Assert.Equal($"NVML: 2 x {H100} (devices 5,2 of 8, from CUDA_VISIBLE_DEVICES)", reordered.Source);
    }

    [Fact]
    public void Nvml_devices_may_be_named_by_uuid_or_a_unique_prefix_of_one()
    {
        var inventory = Nvml($"{_eightH100[3].Uuid},GPU-f,gpu-C1B2");
        Assert.Equal([3, 5, 2], Indexes(inventory));
        Assert.Equal(_eightH100[3], inventory.Devices[0]);
    }

    [Fact]
    public void The_gpu_count_counts_within_the_visible_devices()
    {
        var two = Nvml("6,7,1", count: 2);
        Assert.Equal([6, 7], Indexes(two));
        Assert.Equal($"NVML: 2 x {H100} (devices 6,7 of 8: the first 2 of the 3 CUDA_VISIBLE_DEVICES lists, as requested)", two.Source);

        var error = Assert.Throws<ArgumentException>(() => Nvml("6,7,1", count: 4));
        Assert.Contains("4 GPUs were requested but CUDA_VISIBLE_DEVICES='6,7,1' lists only 3 of the 8", error.Message);
    }

    [Theory]
    [InlineData("0,9", "'9' names no GPU")]
    [InlineData("GPU-z", "'GPU-z' names no GPU")]
    [InlineData("1,-1", "'-1' is neither a device index nor a GPU UUID")]
    [InlineData("first", "'first' is neither a device index nor a GPU UUID")]
    [InlineData("99999999999", "'99999999999' names no GPU")]
    [InlineData("MIG-4f1e", "'MIG-4f1e' is a MIG instance")]
    [InlineData("GPU-", "'GPU-' is the start of 8 GPUs' UUIDs")]
    public void An_entry_naming_no_single_device_stops_the_silo_naming_the_entry_and_the_devices(string visible, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => Nvml(visible));
        Assert.StartsWith($"CUDA_VISIBLE_DEVICES='{visible}': {problem}", error.Message);
        Assert.Contains($"0 ({_eightH100[0].Uuid}), 1 ({_eightH100[1].Uuid})", error.Message);
        Assert.Contains($"7 ({_eightH100[7].Uuid})", error.Message);
        Assert.Contains("found by NVML", error.Message);
    }

    [Theory]
    [InlineData("1,1")]
    [InlineData("1,GPU-b")]
    public void A_device_named_twice_stops_the_silo(string visible)
    {
        var error = Assert.Throws<ArgumentException>(() => Nvml(visible));
        Assert.StartsWith($"CUDA_VISIBLE_DEVICES='{visible}': '{visible.Split(',')[1]}' names device 1 again", error.Message);
    }

    [Fact]
    public void A_uuid_entry_on_devices_nvml_gave_no_uuids_for_is_refused()
    {
        GpuDevice[] anonymous = [new(0, H100, 80 * Gib), new(1, H100, 80 * Gib)];
        Assert.Equal([1], Indexes(GpuInventory.Decide(true, anonymous, "", null, null, null, "1")));
        var error = Assert.Throws<ArgumentException>(() => GpuInventory.Decide(true, anonymous, "", null, null, null, "GPU-a1b2"));
        Assert.Contains("NVML did not report this node's UUIDs", error.Message);
        Assert.Contains("are 0, 1.", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void An_empty_value_offers_no_gpus_as_cuda_hides_them_all(string visible)
    {
        var none = Nvml(visible);
        Assert.Empty(none.Devices);
        Assert.Equal($"no GPUs (CUDA_VISIBLE_DEVICES is empty; NVML found 8 x {H100})", none.Source);
        Assert.Throws<ArgumentException>(() => Nvml(visible, count: 1));

        var simulated = Simulated(4, visible);
        Assert.Empty(simulated.Devices);
        Assert.False(simulated.Simulated);
        Assert.StartsWith("no GPUs (CUDA_VISIBLE_DEVICES is empty; 4 would be simulated", simulated.Source);
    }

    [Fact]
    public void Simulated_devices_are_picked_among_the_gpus_flag_by_index()
    {
        var inventory = Simulated(8, "2,5");
        Assert.True(inventory.Simulated);
        Assert.Equal([new GpuDevice(2, "H100", 80 * Gib, "GPU-simulated-2"), new GpuDevice(5, "H100", 80 * Gib, "GPU-simulated-5")], inventory.Devices);
        Assert.Equal("simulated: 2 x H100, 80 GiB each (devices 2,5 of 8, from CUDA_VISIBLE_DEVICES; NVML unavailable: no driver)", inventory.Source);
    }

    [Fact]
    public void Simulated_devices_have_stable_uuids_and_a_whole_one_beats_a_longer_match()
    {
        Assert.Equal([3, 1], Indexes(Simulated(4, "GPU-simulated-3,gpu-simulated-1")));
        Assert.Equal([1, 10], Indexes(Simulated(12, "GPU-simulated-1,GPU-simulated-10")));
    }

    [Fact]
    public void A_simulated_index_beyond_the_gpus_flag_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Simulated(4, "2,4"));
        Assert.StartsWith("CUDA_VISIBLE_DEVICES='2,4': '4' names no GPU on this node.", error.Message);
        Assert.Contains("(simulated by --gpus 4) are 0 (GPU-simulated-0), 1 (GPU-simulated-1), 2 (GPU-simulated-2), 3 (GPU-simulated-3).", error.Message);
    }

    [Fact]
    public void Without_any_devices_the_value_only_shows_in_the_source()
    {
        // A shell that exports CUDA_VISIBLE_DEVICES must not stop a CPU-only silo (no NVML, no --gpus).
        var inventory = GpuInventory.Decide(false, [], "no driver", null, null, null, "0,1");
        Assert.Empty(inventory.Devices);
        Assert.Equal("no GPUs (NVML unavailable: no driver; CUDA_VISIBLE_DEVICES='0,1' has no devices to pick from)", inventory.Source);
    }

    [Fact]
    public void The_heads_gpu_slots_become_the_devices_they_stand_for()
    {
        var restricted = Simulated(8, "2,5");
        Assert.Equal([2], restricted.DeviceIndexes([0]));
        Assert.Equal([5, 2], restricted.DeviceIndexes([1, 0]));
        Assert.Empty(restricted.DeviceIndexes([]));
        Assert.Throws<InvalidOperationException>(() => restricted.DeviceIndexes([2]));

        Assert.Equal([0, 3], Nvml(null).DeviceIndexes([0, 3]));
    }
}
