namespace Granary.Benchmarks;

/// <summary>The floor for put/get gigabytes: one thread copying a large buffer in memory, in GB/s.</summary>
internal static class MemcpyFloor
{
    public static Func<Task<double>> Round(int bytes)
    {
        var source = new byte[bytes];
        Random.Shared.NextBytes(source);
        var target = new byte[bytes];
        return () =>
        {
            for (var i = 0; i < 4; i++)
            {
                source.AsSpan().CopyTo(target);
            }

            return Task.FromResult(4.0 * bytes / 1e9);
        };
    }

    /// <summary>
    /// The same copy into a new array each time, as a fetched value must land in one: it adds the cost of
    /// the operating system handing the process fresh pages (on a VM, possibly pages the host must back first).
    /// </summary>
    public static Func<Task<double>> FreshRound(int bytes)
    {
        var source = new byte[bytes];
        Random.Shared.NextBytes(source);
        return () =>
        {
            var target = GC.AllocateUninitializedArray<byte>(bytes);
            source.AsSpan().CopyTo(target);
            return Task.FromResult(bytes / 1e9);
        };
    }
}
