using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Granary;
using Granary.Benchmarks;

// Granary's microbenchmarks, named after `ray microbenchmark` rows so figures compare row by row, with the
// machine's floors and Dask measured in the same run.
// Usage: dotnet run -c Release --project benchmarks/Granary.Benchmarks [-- --quick] [--json] [--embedded] [--no-dask] [--rows a,b] [--row-timeout seconds]
var quick = args.Contains("--quick");
// --rows measures only the named rows (the scale row only when named too), so one row can be re-measured without a full run.
var only = args.SkipWhile(a => a != "--rows").Skip(1).FirstOrDefault()?.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
var json = args.Contains("--json");
var embedded = args.Contains("--embedded");
var scale = quick ? 0.05 : 1.0;

// A row that hangs fails on its own after this long, so one stuck row cannot cost the whole run's JSON.
var rowLimit = TimeSpan.FromSeconds(int.Parse(args.SkipWhile(a => a != "--row-timeout").Skip(1).FirstOrDefault() ?? "600", CultureInfo.InvariantCulture));
var (warmups, rounds) = quick ? (1, 1) : (2, 5);
void Say(string line)
{
    if (!json)
    {
        Console.WriteLine(line);
    }
    else
    {
        Console.Error.WriteLine(line);
    }
}

using var stop = new CancellationTokenSource();
var cores = Environment.ProcessorCount;
var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
Say($"Granary microbenchmarks — {cores} cores, {memory / (1L << 30)} GiB, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}{(quick ? " (quick)" : string.Empty)}");

var floors = new Dictionary<string, double>
{
    ["loopback"] = await Measurement.MedianRateAsync(await LoopbackFloor.StartAsync(quick ? 2_000 : 20_000, stop.Token), warmups, rounds),
    ["memcpy"] = await Measurement.MedianRateAsync(MemcpyFloor.Round(64 << 20), warmups, rounds),
    ["fresh"] = await Measurement.MedianRateAsync(MemcpyFloor.FreshRound(64 << 20), warmups, rounds),
    ["tcp"] = await Measurement.MedianRateAsync(await LoopbackBandwidth.StartAsync(64 << 20, stop.Token), warmups, rounds),
};

var daskTask = args.Contains("--no-dask")
    ? Task.FromResult(((IReadOnlyDictionary<string, double>)new Dictionary<string, double>(), "Dask column skipped (--no-dask)"))
    : DaskBaseline.RunAsync(quick);
var (dask, daskNote) = await daskTask;

BenchCluster? processes = null;
GranaryClient client;
if (embedded)
{
    client = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2 });
    Say("Cluster: embedded (head + 2 worker silos in this process, loopback TCP).");
}
else
{
    processes = await BenchCluster.StartAsync(workers: 2, cpusPerWorker: Math.Max(1, cores / 2));
    client = await GranaryClient.ConnectAsync(processes.HeadAddress);
    Say($"Cluster: a head and 2 worker silos as separate processes (head at {processes.HeadAddress}).");
}

var others = new List<GranaryClient> { client };
for (var i = 1; i < 4; i++)
{
    others.Add(await GranaryClient.ConnectAsync(client.HeadAddress));
}

// The Ray-named put and get rows need every small Put to reach a silo's store, as ray.put reaches the
// node's object store; a client with inline threshold 0 uploads every Put (see ObjectRows).
var storeClient = await GranaryClient.ConnectAsync(client.HeadAddress, new ClientOptions { InlineThresholdBytes = 0 });

var results = new JsonObject();
Say(string.Empty);
Say($"{"row",-50} {"Granary",14} {"unit",6} {"vs floor",9} {"vs Orleans",10} {"Dask",12} {"Granary/Dask",13} {"Ray 2.37",10}");

// The scale row: a million no-op tasks, all submitted before any is awaited, every ref held to the end.
// It runs first, before the other rows fill the client's heap (their 64 MiB arrays, refs and groups), so
// its peak memory is the row's own and not what earlier rows left resident. --rows runs it only by name.
var scaleName = $"scale_{(quick ? "50k" : "1m")}_tasks_seconds";
if (only is null || only.Contains(scaleName))
{
    var total = quick ? 50_000 : 1_000_000;
    var name = scaleName;
    try
    {
        var (seconds, peaks, summary) = await ScaleRow.RunAsync(client, total, processes?.Processes ?? []).WaitAsync(rowLimit);
        Report(name, seconds, "s", null, null);
        ((JsonObject)results[name]!)["memory"] = peaks;
        Say($"  {summary}");
    }
    catch (Exception ex)
    {
        Say($"{name,-50} failed: {Why(ex)}");
        results[name] = new JsonObject { ["error"] = Why(ex), ["unit"] = "s" };
    }
}

var rows = new List<Row>();
#if ENGINE_FLOOR
await using var floorRows = new EngineFloorRows(client, scale);
await AddAsync("engine-floor rows", floorRows.CreateAsync);
const bool engineFloor = true;
#else
const bool engineFloor = false;
Say("Engine-floor rows skipped: this build's silos have no engine-floor grain.");
#endif
await AddAsync("task and actor rows", () => new Rows(client, others, scale).CreateAsync());
await AddAsync("object rows", () => new ObjectRows(client, storeClient, scale).CreateAsync());
await AddAsync("placement-group rows", () => Task.FromResult(new PlacementGroupRows(client, scale).Create()));
await AddAsync("map-batches rows", () => Task.FromResult(new MapBatchesRows(client, scale).Create()));
var measured = new Dictionary<string, double>(StringComparer.Ordinal);
foreach (var row in rows.Where(r => only is null || only.Contains(r.Name)))
{
    double value;
    try
    {
        value = await Measurement.MedianRateAsync(row.Round, warmups, rounds).WaitAsync(rowLimit);
    }
    catch (Exception ex)
    {
        Say($"{row.Name,-50} failed: {Why(ex)}");
        results[row.Name] = new JsonObject { ["error"] = Why(ex), ["unit"] = row.Unit };
        continue;
    }

    measured[row.Name] = value;
    double? engine = row.EngineFloor is not null && measured.TryGetValue(row.EngineFloor, out var e) ? e : null;
    Report(row.Name, value, row.Unit, row.Floor is null ? null : floors[row.Floor], engine);
}

try
{
    foreach (var (name, value) in await CollectiveRows.RunAsync(only, quick, stop.Token).WaitAsync(rowLimit * 4))
    {
        Report(name, value, "GB/s", floors["tcp"], null);
    }
}
catch (Exception ex)
{
    Say($"{"collective rows",-50} failed: {Why(ex)}");
}

try
{
    foreach (var (name, value) in await TorchRows.RunAsync(only, quick, stop.Token).WaitAsync(rowLimit * 2))
    {
        Report(name, value, name.EndsWith("_ms", StringComparison.Ordinal) ? "ms" : "rows/s", null, null);
    }
}
catch (Exception ex)
{
    Say($"{"TorchSharp rows",-50} failed: {Why(ex)}");
}

try
{
    var (packing, packingNotes) = await GpuPackingRows.RunAsync(only, quick, stop.Token).WaitAsync(rowLimit * 3);
    foreach (var (name, value) in packing)
    {
        Report(name, value, "jobs/h", null, null);
    }

    foreach (var note in packingNotes)
    {
        Say("  " + note);
    }
}
catch (Exception ex)
{
    Say($"{"GPU packing rows",-50} failed: {Why(ex)}");
}

Say(string.Empty);
Say("Floors: loopback round trips " + floors["loopback"].ToString("N0", CultureInfo.InvariantCulture) + "/s, memcpy " + floors["memcpy"].ToString("0.00", CultureInfo.InvariantCulture) + " GB/s (into fresh memory " + floors["fresh"].ToString("0.00", CultureInfo.InvariantCulture) + " GB/s), loopback TCP stream " + floors["tcp"].ToString("0.00", CultureInfo.InvariantCulture) + " GB/s. " + daskNote + ".");

foreach (var other in others.Skip(1))
{
    await other.DisposeAsync();
}

await storeClient.DisposeAsync();

await client.DisposeAsync();
if (processes is not null)
{
    await processes.DisposeAsync();
}

if (json)
{
    var output = new JsonObject
    {
        ["machine"] = new JsonObject { ["cores"] = cores, ["memoryBytes"] = memory, ["dotnet"] = Environment.Version.ToString(), ["os"] = Environment.OSVersion.ToString(), ["quick"] = quick, ["cluster"] = embedded ? "embedded" : "processes", ["engineFloor"] = engineFloor },
        ["floors"] = new JsonObject { ["loopback_round_trips_per_s"] = floors["loopback"], ["memcpy_gb_per_s"] = floors["memcpy"], ["memcpy_fresh_gb_per_s"] = floors["fresh"], ["loopback_tcp_gb_per_s"] = floors["tcp"] },
        ["rows"] = results,
    };
    Console.WriteLine(output.ToJsonString());
}

void Report(string name, double value, string unit, double? floor, double? engine)
{
    double? daskValue = dask.TryGetValue(name, out var d) ? d : null;
    double? ray = RayFigures.Published.TryGetValue(name, out var r) ? r : null;
    string F(double? v) => v is null ? "-" : v.Value.ToString(v.Value >= 100 ? "N0" : "0.00", CultureInfo.InvariantCulture);
    string Ratio(double? of) => of is null ? "-" : (value / of.Value).ToString("0.00", CultureInfo.InvariantCulture);
    Say($"{name,-50} {F(value),14} {unit,6} {Ratio(floor),9} {Ratio(engine),10} {F(daskValue),12} {(daskValue is null ? "-" : (value / daskValue.Value).ToString("0.0", CultureInfo.InvariantCulture) + "x"),13} {F(ray),10}");
    results[name] = new JsonObject { ["granary"] = value, ["unit"] = unit, ["floor"] = floor, ["engineFloor"] = engine, ["dask"] = daskValue, ["ray"] = ray };
}

string Why(Exception error) => error is TimeoutException ? $"ran past the {rowLimit.TotalSeconds:0} s row limit (--row-timeout)" : error.Message;

// A group whose setup fails (an actor that will not start, a task that fails) is reported and left out,
// so the other rows still run and the JSON still comes out.
async Task AddAsync(string group, Func<Task<List<Row>>> create)
{
    try
    {
        rows.AddRange(await create().WaitAsync(rowLimit));
    }
    catch (Exception ex)
    {
        Say($"setting up the {group} failed: {Why(ex)}");
        results["setup: " + group] = new JsonObject { ["error"] = Why(ex), ["unit"] = string.Empty };
    }
}
