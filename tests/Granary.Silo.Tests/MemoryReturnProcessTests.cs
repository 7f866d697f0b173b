using System.Globalization;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Memory is given back: a worker silo that stored and then freed large objects returns to near its idle
/// resident size on its own, without anyone forcing a collection (the issue saw six freed 1 GiB objects
/// leave 9.6 GiB resident until a forced full collection). Real `granary start` processes, RSS from /proc.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class MemoryReturnProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private const int Objects = 4;
    private const int ObjectBytes = 256 << 20;
    private const long Slack = 300L << 20;

    [Fact]
    public async Task A_worker_returns_to_near_its_idle_size_within_10_s_of_the_last_free()
    {
        await Cluster.StartHeadAsync();
        var worker = await Cluster.StartWorkerAsync("w1", "--cpus", "1");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using var stopClient = client.DisposeWithin();

        // Warm: one round trip of a large object, so the baseline holds what a worker keeps once it has served one.
        await PutAndFreeAsync(client, 1);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var idle = Rss(worker.Pid);

        var peak = await PutAndFreeAsync(client, Objects, () => Rss(worker.Pid));
        Assert.True(peak - idle >= Objects * (long)ObjectBytes / 2, $"the objects never reached the worker: idle {Mib(idle)}, peak {Mib(peak)}");

        await Eventually.HoldsAsync(
            () => Rss(worker.Pid) - idle <= Slack,
            TimeSpan.FromSeconds(10),
            $"the worker's resident size is back within {Mib(Slack)} of its idle {Mib(idle)} (peak {Mib(peak)})",
            () => Mib(Rss(worker.Pid)));
    }

    /// <summary>Puts <paramref name="count"/> large objects (all held at once), then drops them and waits until the worker freed them; returns the peak RSS seen while held.</summary>
    private static async Task<long> PutAndFreeAsync(GranaryClient client, int count, Func<long>? rss = null)
    {
        var freed = client.FreedObjects;
        long peak = 0;
        await PutAllAsync(client, count, () => peak = rss?.Invoke() ?? 0);

        // The refs are gone with PutAllAsync's frame; their finalizers tell the client, which frees them on the worker.
        for (var i = 0; i < 200 && client.FreedObjects < freed + count; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.True(client.FreedObjects >= freed + count, $"the client freed {client.FreedObjects - freed} of {count} objects");
        return peak;
    }

    private static async Task PutAllAsync(GranaryClient client, int count, Action measure)
    {
        var refs = new List<ObjectRef<byte[]>>();
        for (var i = 0; i < count; i++)
        {
            var data = GC.AllocateUninitializedArray<byte>(ObjectBytes);
            data.AsSpan().Fill((byte)i);
            var stored = client.Put(data);
            await stored.WaitAsync().WithTimeout(TimeSpan.FromSeconds(60));
            refs.Add(stored);
        }

        measure();
        GC.KeepAlive(refs);
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line");
    }

    private static string Mib(long bytes) => $"{bytes >> 20} MiB";
}
