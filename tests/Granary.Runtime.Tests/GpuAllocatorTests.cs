using Granary.Runtime.Gpus;

namespace Granary.Runtime.Tests;

public sealed class GpuAllocatorTests
{
    [Fact]
    public void Whole_requests_take_fully_free_devices_lowest_first()
    {
        var gpus = new GpuAllocator(4);
        Assert.Equal(new[] { 0, 1 }, gpus.TryAllocate(2));
        Assert.Equal(new[] { 2 }, gpus.TryAllocate(1));
        Assert.Null(gpus.TryAllocate(2));
        Assert.Equal(new[] { 3 }, gpus.TryAllocate(1));
        Assert.Equal(0, gpus.FreeTotal);
    }

    [Fact]
    public void Whole_requests_skip_partly_used_devices()
    {
        var gpus = new GpuAllocator(3);
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.25));
        Assert.Equal(new[] { 1, 2 }, gpus.TryAllocate(2));
        Assert.Null(gpus.TryAllocate(1));
    }

    [Fact]
    public void Fractions_share_one_device()
    {
        var gpus = new GpuAllocator(2);
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.25));
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.5));
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.25));
        Assert.Equal(0, gpus.FreeOn(0));
        Assert.Equal(1, gpus.FreeOn(1));
    }

    [Fact]
    public void Two_halves_fill_a_device_and_the_next_half_goes_to_another()
    {
        var gpus = new GpuAllocator(2);
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.5));
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.5));
        Assert.Equal(new[] { 1 }, gpus.TryAllocate(0.5));
        Assert.Equal(0.5, gpus.FreeTotal);
        Assert.Null(gpus.TryAllocate(1));
    }

    [Fact]
    public void Fractions_pack_onto_the_most_used_device_that_fits()
    {
        var gpus = new GpuAllocator(3);
        Assert.Equal(new[] { 0 }, gpus.TryAllocate(0.5));
        Assert.Equal(new[] { 1 }, gpus.TryAllocate(0.75));
        // Device 1 (0.25 free) is fuller than device 0 (0.5 free) and still fits 0.25.
        Assert.Equal(new[] { 1 }, gpus.TryAllocate(0.25));
        // 0.6 fits neither partly used device, so it opens device 2 rather than failing.
        Assert.Equal(new[] { 2 }, gpus.TryAllocate(0.6));
        Assert.Null(gpus.TryAllocate(0.6));
    }

    [Fact]
    public void A_fraction_above_one_is_rejected_with_the_fix()
    {
        var gpus = new GpuAllocator(4);
        var error = Assert.Throws<ArgumentException>(() => gpus.TryAllocate(1.5));
        Assert.Equal("amount", error.ParamName);
        Assert.Contains("whole number", error.Message);
        Assert.Contains("(2)", error.Message);
        Assert.Contains("below 1", error.Message);
        Assert.Equal(4, gpus.FreeTotal);
    }

    [Fact]
    public void Negative_amounts_are_rejected()
    {
        var gpus = new GpuAllocator(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpus.TryAllocate(-0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpus.TryAllocate(double.NaN));
    }

    [Fact]
    public void Zero_takes_no_devices()
    {
        var gpus = new GpuAllocator(0);
        Assert.Equal(Array.Empty<int>(), gpus.TryAllocate(0));
        gpus.Release([], 0);
    }

    [Fact]
    public void Release_makes_room_again()
    {
        var gpus = new GpuAllocator(2);
        var whole = gpus.TryAllocate(2)!;
        Assert.Null(gpus.TryAllocate(0.5));
        gpus.Release(whole, 2);
        Assert.Equal(2, gpus.FreeTotal);

        var half = gpus.TryAllocate(0.5)!;
        Assert.Null(gpus.TryAllocate(2));
        gpus.Release(half, 0.5);
        Assert.Equal(new[] { 0, 1 }, gpus.TryAllocate(2));
    }

    [Fact]
    public void Releasing_more_than_was_taken_throws_and_changes_nothing()
    {
        var gpus = new GpuAllocator(2);
        var half = gpus.TryAllocate(0.5)!;
        Assert.Throws<InvalidOperationException>(() => gpus.Release([1], 0.5));
        Assert.Throws<InvalidOperationException>(() => gpus.Release([0, 1], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpus.Release([5], 0.5));
        Assert.Throws<ArgumentException>(() => gpus.Release([0, 1], 0.5));
        Assert.Equal(1.5, gpus.FreeTotal);
        gpus.Release(half, 0.5);
        Assert.Equal(2, gpus.FreeTotal);
    }

    [Fact]
    public void Ten_tenths_fill_a_device_exactly()
    {
        var gpus = new GpuAllocator(2);
        var taken = new List<int[]>();
        for (var i = 0; i < 10; i++)
        {
            var ids = gpus.TryAllocate(0.1);
            Assert.Equal(new[] { 0 }, ids);
            taken.Add(ids!);
        }

        Assert.Equal(0, gpus.FreeOn(0));
        Assert.Equal(new[] { 1 }, gpus.TryAllocate(0.1));
        gpus.Release([1], 0.1);

        foreach (var ids in taken)
        {
            gpus.Release(ids, 0.1);
        }

        Assert.Equal(1, gpus.FreeOn(0));
        Assert.Equal(2, gpus.FreeTotal);
        Assert.Equal(new[] { 0, 1 }, gpus.TryAllocate(2));
    }

    [Fact]
    public void CanEverFit_checks_the_shape_against_the_device_count()
    {
        var gpus = new GpuAllocator(2);
        Assert.True(gpus.CanEverFit(0));
        Assert.True(gpus.CanEverFit(0.5));
        Assert.True(gpus.CanEverFit(1));
        Assert.True(gpus.CanEverFit(2));
        Assert.False(gpus.CanEverFit(3));
        Assert.False(gpus.CanEverFit(1.5));
        Assert.False(gpus.CanEverFit(-1));

        // Whether it fits now does not matter.
        gpus.TryAllocate(2);
        Assert.True(gpus.CanEverFit(2));

        var none = new GpuAllocator(0);
        Assert.True(none.CanEverFit(0));
        Assert.False(none.CanEverFit(0.5));
        Assert.False(none.CanEverFit(1));
    }

    [Fact]
    public void Requests_beyond_the_device_count_do_not_fit()
    {
        var gpus = new GpuAllocator(2);
        Assert.Null(gpus.TryAllocate(3));
        Assert.Null(gpus.TryAllocate(1e12));
        Assert.Equal(2, gpus.FreeTotal);
    }
}
