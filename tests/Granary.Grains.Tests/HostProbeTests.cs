using Granary.Grains.Metrics;

namespace Granary.Grains.Tests;

/// <summary>How the metrics monitor reads the host's CPU and memory from the kernel's text files.</summary>
public sealed class HostProbeTests
{
    [Fact]
    public void The_cpu_line_counts_idle_and_iowait_as_idle_and_leaves_guest_time_out()
    {
        Assert.True(HostProbe.ParseCpuLine("cpu  100 20 30 800 50 0 0 0 7 3", out var busy, out var total));
        Assert.Equal(1000UL, total);
        Assert.Equal(150UL, busy);
        Assert.False(HostProbe.ParseCpuLine("cpu0 1 2 3 4 5", out _, out _));
        Assert.False(HostProbe.ParseCpuLine("intr 12345", out _, out _));
    }

    [Fact]
    public void Memory_in_use_is_the_total_less_what_the_kernel_says_is_available()
    {
        string[] meminfo = ["MemTotal:       16000000 kB", "MemFree:         1000000 kB", "MemAvailable:    6000000 kB", "Buffers: 1 kB"];
        Assert.True(HostProbe.ParseMeminfo(meminfo, out var used, out var total));
        Assert.Equal(16_000_000L * 1024, total);
        Assert.Equal(10_000_000L * 1024, used);
        Assert.False(HostProbe.ParseMeminfo(["MemTotal: 16 kB"], out _, out _));
    }

    [Fact]
    public void A_reading_of_this_machine_has_shares_in_range_and_some_memory()
    {
        var probe = new HostProbe();
        probe.Read();
        Thread.Sleep(50);
        var reading = probe.Read();
        Assert.InRange(reading.CpuPercent, 0, 100);
        Assert.InRange(reading.ProcessCpuPercent, 0, 100);
        Assert.True(reading.MemoryTotalBytes > 0);
        Assert.InRange(reading.MemoryUsedBytes, 1, reading.MemoryTotalBytes);
        Assert.True(reading.ProcessMemoryBytes > 0);
    }
}
