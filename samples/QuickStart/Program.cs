using Granary;
using QuickStart;

// Joins a running cluster when GRANARY_ADDRESS (or --address host:port) is given, else starts an embedded one.
var address = args.SkipWhile(a => a != "--address").Skip(1).FirstOrDefault() ?? Environment.GetEnvironmentVariable("GRANARY_ADDRESS");
await using var cluster = address is null
    ? await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2, CpusPerSilo = 2 })
    : await GranaryClient.ConnectAsync(address);
Console.WriteLine(address is null ? $"Started an embedded cluster (head at {cluster.HeadAddress})." : $"Connected to {address}.");

var square = cluster.Remote(() => MathJobs.Square(7));
Console.WriteLine($"Remote:   Square(7) = {await square}");

var greeting = await cluster.Remote(() => MathJobs.Greet("Granary"));
Console.WriteLine($"Async:    {greeting}");

var squares = cluster.Map(Enumerable.Range(1, 10), x => MathJobs.Square(x));
Console.WriteLine($"Map:      squares of 1..10 = [{string.Join(", ", await cluster.GetAllAsync(squares))}]");

var sums = cluster.StarMap(new[] { (1, 2), (3, 4), (5, 6) }, (a, b) => MathJobs.Add(a, b));
Console.WriteLine($"StarMap:  pairwise sums = [{string.Join(", ", await cluster.GetAllAsync(sums))}]");

// The ramp (800 KB) stays in the store of the silo that made it; Sum pulls it from there, the client never downloads it.
var ramp = cluster.Remote(() => MathJobs.Ramp(100_000));
var total = cluster.Remote(() => MathJobs.Sum(ramp));
Console.WriteLine($"Refs:     Sum(Ramp(100000)) = {await total} (client downloaded {cluster.BytesFetched} bytes of it)");

// Placement: Spread rotates over the nodes that fit; the default (Pack) fills one node before the next.
// Each line runs two tasks at the same time on an idle cluster (see PlacementDemo).
var spread = await PlacementDemo.RunAsync(cluster, new RemoteOptions { Placement = SpreadPlacement.Instance });
Console.WriteLine($"Spread:   2 tasks at once ran on {Describe(spread)}");
var packed = await PlacementDemo.RunAsync(cluster);
Console.WriteLine($"Pack:     2 tasks at once ran on {Describe(packed)}");

var counter = await cluster.CreateActorAsync(() => new Counter(0));
_ = counter.Call(c => c.Add(5));
_ = counter.Call(c => c.Add(10));
Console.WriteLine($"Actor:    counter on {counter.NodeId} = {await counter.Call(c => c.Value())}");

var service = await cluster.GetOrCreateActorAsync("quickstart-service", () => new Counter(100), new ActorOptions { Lifetime = ActorLifetime.Detached });
var found = await cluster.GetActorAsync<Counter>("quickstart-service");
Console.WriteLine($"Named:    detached actor '{found.Name}' answers {await found.Call(c => c.Add(1))} ({(service.Id == found.Id ? "the same activation" : "a different activation!")} as GetOrCreateActorAsync returned)");
await service.KillAsync();
Console.WriteLine("Done.");

static string Describe(string[] nodes) =>
    string.Join(", ", nodes.GroupBy(n => n).Select(g => $"{g.Key} ×{g.Count()}"));
