using System.Diagnostics;
using System.Runtime;
using System.Text.Json.Nodes;

namespace Granary.Benchmarks;

/// <summary>
/// Ray's million-task scale test: submit every task before waiting for any, hold every ref until all
/// results are in, and report wall time with the client's and silos' peak memory during the row.
/// </summary>
internal static class ScaleRow
{
    public static async Task<(double Seconds, JsonObject Memory, string Summary)> RunAsync(GranaryClient client, int total, IReadOnlyList<Process> silos)
    {
        // The floors and anything before this row leave 64 MiB arrays the GC would keep resident; an
        // aggressive, compacting collection hands that memory back first, so the peak below is this row's.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var self = Environment.ProcessId;
        var reset = PeakMemory.TryReset(self);

        // A reset peak starts from what is resident now (earlier rows' heap the GC kept), so say how much that is.
        var residentAtStart = Environment.WorkingSet >> 20;
        foreach (var silo in silos)
        {
            PeakMemory.TryReset(silo.Id);
        }

        // VmHWM counts everything resident; the managed heap is sampled beside it to tell refs from runtime.
        long peakHeap = 0;
        using var sampler = new Timer(_ => InterlockedMax(ref peakHeap, GC.GetTotalMemory(false)), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));

        var started = Stopwatch.GetTimestamp();
        var refs = Rows.Submit(client, total);
        var submitted = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var values = await client.GetAllAsync(refs);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        InterlockedMax(ref peakHeap, GC.GetTotalMemory(false));
        GC.KeepAlive(refs);
        if (values.Length != total)
        {
            throw new InvalidOperationException($"got {values.Length} results, not {total}");
        }

        var clientPeak = PeakMemory.PeakMiB(self);
        var memory = new JsonObject
        {
            ["client_peak_rss_mib"] = clientPeak,
            ["client_peak_rss_source"] = reset ? "VmHWM, reset at the start of the row" : "VmHWM since the process started (reset refused)",
            ["client_rss_at_start_mib"] = residentAtStart,
            ["client_peak_managed_heap_mib"] = peakHeap >> 20,
            ["submit_seconds"] = submitted,
        };
        var summary = $"submitted in {submitted:0.00} s; peak memory: client {clientPeak} MiB resident ({(reset ? $"this row, from {residentAtStart} MiB at its start" : "whole run")}), {peakHeap >> 20} MiB managed heap";
        var siloPeaks = new JsonObject();
        foreach (var silo in silos)
        {
            var peak = PeakMemory.PeakMiB(silo.Id);
            siloPeaks[silo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = peak;
            summary += $", silo pid {silo.Id} {peak} MiB";
        }

        memory["silo_peak_rss_mib"] = siloPeaks;
        return (seconds, memory, summary);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
