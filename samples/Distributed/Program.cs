using Distributed;
using Granary;

// An embedded cluster: a head and two worker silos in this process, each with two simulated GPUs.
await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2, GpusPerSilo = 2, GpuType = "H100" });

// Four ranks, one per GPU, each in a worker process of its silo with torchrun's environment; the nodes'
// metrics samples arrive while they run (the first few of each node are printed).
var printed = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
var results = await cluster.Distributed(new DistributedOptions { Gpus = 4, GpuType = "H100", CpusPerRank = 0.5 })
    .WithMetrics(sample =>
    {
        if (!sample.IsHead && printed.AddOrUpdate(sample.NodeId, 1, (_, n) => n + 1) <= 2)
        {
            var gpus = string.Join(" ", sample.Gpus.Select(g => $"gpu{g.Index}={g.UtilizationPercent:0}%"));
            Console.WriteLine($"metrics {sample.NodeId}: cpu {sample.CpuPercent:0}%, memory {sample.MemoryUsedBytes >> 20} MiB, running {sample.RunningTasks}, {gpus}");
        }
    }, TimeSpan.FromMilliseconds(250))
    .RunAsync(ctx => DataParallel.Train(ctx, 4_000, 60));

foreach (var r in results)
{
    Console.WriteLine($"rank {r.Rank} (local {r.LocalRank} on {r.NodeId}, CUDA_VISIBLE_DEVICES={r.Devices}): w = {r.Weight:0.000}, b = {r.Bias:0.000}, loss = {r.Loss:0.0000}");
}

var same = results.Select(r => (Math.Round(r.Weight, 9), Math.Round(r.Bias, 9))).Distinct().Count() == 1;
Console.WriteLine(same ? "All ranks hold the same weights (gradients averaged by ring all-reduce)." : "The ranks' weights differ!");

// The same job on this machine: two local processes, same contract.
var local = await cluster.Distributed(new DistributedOptions { Gpus = 2, Remote = false }).RunAsync(ctx => DataParallel.Train(ctx, 4_000, 60));
Console.WriteLine($"local mode: {local.Count} ranks on {local[0].NodeId}, w = {local[0].Weight:0.000}, b = {local[0].Bias:0.000}");
return same ? 0 : 1;
