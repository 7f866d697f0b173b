using System.Globalization;
using Granary;
using Granary.Benchmarks;

// Granary's first microbenchmarks, named after `ray microbenchmark` rows so figures compare row by row.
// Usage: dotnet run -c Release --project benchmarks/Granary.Benchmarks [-- --quick]
var quick = args.Contains("--quick");
var scale = quick ? 0.1 : 1.0;
int Count(int n) => Math.Max(10, (int)(n * scale));
var (warmups, rounds) = quick ? (1, 3) : (2, 5);
using var stop = new CancellationTokenSource();

Console.WriteLine($"Granary microbenchmarks — {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine("Embedded cluster: a head silo and 2 worker silos in this process, over loopback TCP.");
Console.WriteLine();

var floorRound = await LoopbackFloor.StartAsync(Count(20_000), stop.Token);
var floor = await Measurement.MedianRateAsync(floorRound, warmups, rounds);

await using var client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2 });
var rows = new List<(string Name, double Rate, double? Floor)>();

rows.Add(("single_client_tasks_sync", await Measurement.MedianRateAsync(async () =>
{
    var n = Count(2_000);
    for (var i = 0; i < n; i++)
    {
        await client.Remote(() => Workloads.Noop());
    }

    return n;
}, warmups, rounds), floor));

rows.Add(("single_client_tasks_async", await Measurement.MedianRateAsync(async () =>
{
    var n = Count(20_000);
    var refs = new ObjectRef<int>[n];
    for (var i = 0; i < n; i++)
    {
        refs[i] = client.Remote(() => Workloads.Noop());
    }

    await client.GetAllAsync(refs);
    return n;
}, warmups, rounds), null));

var pinger = await client.CreateActorAsync(() => new Pinger());
rows.Add(("1_1_actor_calls_sync", await Measurement.MedianRateAsync(async () =>
{
    var n = Count(2_000);
    for (var i = 0; i < n; i++)
    {
        await pinger.Call(p => p.Ping());
    }

    return n;
}, warmups, rounds), floor));

rows.Add(("1_1_actor_calls_async", await Measurement.MedianRateAsync(async () =>
{
    var n = Count(20_000);
    var refs = new ObjectRef<int>[n];
    for (var i = 0; i < n; i++)
    {
        refs[i] = pinger.Call(p => p.Ping());
    }

    await client.GetAllAsync(refs);
    return n;
}, warmups, rounds), null));

await stop.CancelAsync();
Console.WriteLine($"{"row",-28} {"ops/s",12} {"vs loopback floor",18}");
Console.WriteLine($"{"loopback_round_trip_floor",-28} {floor.ToString("N0", CultureInfo.InvariantCulture),12} {"1.00",18}");
foreach (var (name, rate, rowFloor) in rows)
{
    var ratio = rowFloor is { } f ? (rate / f).ToString("0.00", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine($"{name,-28} {rate.ToString("N0", CultureInfo.InvariantCulture),12} {ratio,18}");
}
