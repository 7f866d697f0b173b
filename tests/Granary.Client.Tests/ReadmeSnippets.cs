using Granary;
using Microsoft.Extensions.Hosting;
using Granary.TestGrains;
using Orleans;
using Orleans.Hosting;
using QuickStart;
using WordSerializer = Granary.Client.Tests.WordSerializer;

// Outside Granary.Client.Tests, so that names resolve as in a user's program (Counter is the quick start's).
namespace ReadmeSnippets;

/// <summary>
/// Every C# block of the README, as written, inside methods that give it the variables it assumes (a test
/// checks that each block appears here line for line, so the README cannot drift from code that compiles
/// under the repository's warnings-as-errors). The tests run the blocks that an embedded cluster without
/// GPUs can run; code after a block checks what its comments claim.
/// </summary>
public static class Snippets
{
    public static async Task StartOrConnectEmbeddedAsync()
    {
        // An embedded cluster: a head and 2 workers in this process. Disposing the client stops it.
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 2 });
    }

    public static async Task StartOrConnectRemoteAsync()
    {
        await using var cluster = await GranaryClient.ConnectAsync("127.0.0.1:6380");
    }

    public static async Task LogsAndRuntimeEnvironmentAsync(string token, List<string> lines)
    {
        var options = new ClientOptions { LogToDriver = true };            // the default; false ships nothing
        options.Environment["MLFLOW_TRACKING_URI"] = "http://mlflow:5000";
        options.Secrets["MLFLOW_TRACKING_TOKEN"] = token;                   // never logged, shown or stored
        await using var job = await GranaryClient.ConnectAsync("127.0.0.1:6380", options);
        job.TaskLog += (_, line) => lines.Add(line.ToString());             // "(node-1a2b3c task=Train) epoch 1"
    }

    public static async Task RemoteFunctionsAndResultsAsync(GranaryClient cluster)
    {
        ObjectRef<int> square = cluster.Remote(() => MathJobs.Square(7));        // returns T
        ObjectRef<string> hello = cluster.Remote(() => MathJobs.Greet("you"));  // returns Task<T>
        ObjectRef<int> count = cluster.Remote(() => Jobs.CountAsync());         // returns ValueTask<T>
        ObjectRef done = cluster.Remote(() => Jobs.Log("hi"));                  // returns void or Task

        var refs = cluster.Map(Enumerable.Range(1, 3), x => MathJobs.Square(x));
        int a = await square;                        // waits, fetches and deserializes
        int b = await cluster.GetAsync(square);      // the same
        int[] all = await cluster.GetAllAsync(refs); // values in input order; throws the first failure in input order
        await done;                                  // an untyped ref only waits (and throws if the task failed)
        bool ready = square.IsReady;                 // no waiting

        Check.That(a == 49 && b == 49 && all.SequenceEqual([1, 4, 9]) && ready, "results");
        Check.That((await hello).StartsWith("hello you from ", StringComparison.Ordinal), "Greet");
        Check.That(await count == 3, "CountAsync");
    }

    public static async Task MultipleReturnsAsync(GranaryClient cluster)
    {
        double[] samples = [4, 8, 15, 16, 23, 42];
        (ObjectRef<double> low, ObjectRef<double> high) = cluster.RemoteMany(() => Jobs.MinMax(samples)); // a tuple: a ref per item
        IReadOnlyList<ObjectRef<int[]>> shards = cluster.RemoteMany(() => Jobs.Shard(1_000, 4), 4);     // exactly 4 values
        ObjectRef<long> firstSum = cluster.Remote(() => Jobs.Total(shards[0]));                         // each part is a ref of its own

        Check.That(await low == 4 && await high == 42, "MinMax");
        Check.That(shards.Count == 4 && (await shards[3]).Length == 250, "Shard");
        Check.That(await firstSum == Enumerable.Range(0, 250).Sum(i => 4L * i), "Total");
    }

    public static async Task StreamingAsync(GranaryClient cluster)
    {
        ObjectRefStream<double> losses = cluster.Stream(() => Jobs.TrainEpochs(5)); // returns IAsyncEnumerable<double>
        await foreach (ObjectRef<double> loss in losses)                             // each ref as soon as it is produced
        {
            Console.WriteLine($"loss {await loss}");
        }

        int epochs = await losses.Completion;                                        // the task itself: how many items

        Check.That(epochs == 5, "TrainEpochs");
    }

    public static async Task MonitorAsync(GranaryClient cluster)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (NodeMetrics node in cluster.MonitorAsync(TimeSpan.FromSeconds(1), stop.Token))
        {
            Console.WriteLine($"{node.NodeId}: CPU {node.CpuPercent:0}%, {node.RunningTasks} running, " +
                $"store {node.ObjectStoreBytes >> 20} MiB, GPUs {string.Join(" ", node.Gpus.Select(g => $"{g.UtilizationPercent:0}%"))}");
        }
    }

    public static async Task GetWithTimeoutAsync(GranaryClient cluster)
    {
        var square = cluster.Remote(() => MathJobs.Square(7));
        var refs = cluster.Map(Enumerable.Range(0, 3), x => MathJobs.Square(x));
        try
        {
            int value = await square.GetAsync(TimeSpan.FromSeconds(5));
            int[] values = await cluster.GetAllAsync(refs, TimeSpan.FromSeconds(5)); // one limit for all of them
        }
        catch (GetTimeoutException late)
        {
            Console.WriteLine($"{late.ObjectId} not ready after {late.Timeout}"); // the task goes on; get it again later
        }

        Check.That(await square.GetAsync(TimeSpan.FromSeconds(5)) == 49, "a get with a timeout returns the value");
    }

    public static bool WatchTheHead(GranaryClient cluster)
    {
        cluster.HeadConnectionChanged += (_, change) =>
            Console.WriteLine(change.Reachable
                ? $"head {change.HeadAddress} back after {change.UnreachableFor.TotalSeconds:0.#} s"
                : $"head {change.HeadAddress} unreachable: {change.Error?.Message}");
        bool reachable = cluster.HeadReachable;
        return reachable;
    }

    public static async Task WaitAsync(GranaryClient cluster)
    {
        var refs = cluster.Map(Enumerable.Range(0, 5), x => MathJobs.Square(x));
        var (ready, notReady) = await cluster.WaitAsync(refs, numReturns: 3, timeout: TimeSpan.FromSeconds(1));

        Check.That(ready.Count == 3 && notReady.Count == 2, "WaitAsync splits the refs");
    }

    public static async Task PutAndRefsAsArgumentsAsync(GranaryClient cluster)
    {
        ObjectRef<double[]> data = cluster.Put(new double[1_000_000]);
        ObjectRef<double> sum = cluster.Remote(() => MathJobs.Sum(data));

        var ramp = cluster.Remote(() => MathJobs.Ramp(100_000)); // ~800 KB, stays on the silo that made it
        var total = cluster.Remote(() => MathJobs.Sum(ramp));   // Sum(double[]) gets the array itself

        Check.That(await sum == 0, "Sum of a put array");
        Check.That(await total == 99_999.0 * 100_000 / 2, "Sum of the ramp");
    }

    public static async Task RefsInsideValuesAsync(GranaryClient cluster)
    {
        var parts = Enumerable.Range(0, 100).Select(i => cluster.Put(i)).ToList();
        ObjectRef<List<ObjectRef<int>>> all = cluster.Put(parts);      // one object holding 100 refs
        List<ObjectRef<int>> back = await all;                          // the same refs: back[0] == parts[0]
        long sum = await cluster.Remote(() => Jobs.SumAll(parts));      // SumAll(List<ObjectRef<int>>) awaits them on the silo

        Check.That(back[0] == parts[0] && !(back[0] != parts[0]) && back[0].Equals(parts[0]), "back[0] == parts[0]");
        Check.That(!ReferenceEquals(back[0], parts[0]), "the ref read back is another instance");
        Check.That(sum == 4950, "SumAll");
    }

    public static async Task MapAndStarMapAsync(GranaryClient cluster)
    {
        var parts = new[] { cluster.Put(new[] { 1.0, 2.0 }), cluster.Put(new[] { 3.0 }) };

        IReadOnlyList<ObjectRef<int>> squares = cluster.Map(Enumerable.Range(1, 10), x => MathJobs.Square(x));
        IReadOnlyList<ObjectRef<int>> sums = cluster.StarMap(new[] { (1, 2), (3, 4) }, (a, b) => MathJobs.Add(a, b));
        IReadOnlyList<ObjectRef<double>> partSums = cluster.Map(parts, p => MathJobs.Sum(p)); // parts: ObjectRef<double[]>s

        Check.That((await cluster.GetAllAsync(squares)).Sum() == 385, "Map");
        Check.That((await cluster.GetAllAsync(sums)).SequenceEqual([3, 7]), "StarMap");
        Check.That((await cluster.GetAllAsync(partSums)).SequenceEqual([3.0, 3.0]), "Map over refs");
    }

    public static async Task EnqueueAsync(GranaryClient cluster, string path)
    {
        ObjectRef first = cluster.Enqueue(() => Jobs.AppendLine(path, "first"));
        ObjectRef second = cluster.Enqueue(() => Jobs.AppendLine(path, "second")); // starts after "first" has finished
        await second;                                                               // so both have run now

        Check.That(File.ReadAllLines(path).SequenceEqual(["first", "second"]), "Enqueue order");
    }

    public static ObjectRef RemoteOptions(GranaryClient cluster, double[] batch)
    {
        var options = new RemoteOptions
        {
            Cpus = 2,                         // default 1 for a task
            Gpus = 0.5,                       // fractions share one device; above 1 must be whole
            MemoryBytes = 4L << 30,
            Resources = { ["accelerator_slot"] = 1 },
            Placement = SpreadPlacement.Instance, // default: the method's placement attribute, else pack
            MaxRetries = 1,                   // default 3
            RetryExceptions = true,           // default false
            Isolation = Isolation.Process,    // default InProcess
            Name = "train-step",              // shown in errors instead of Type.Method
        };
        var r = cluster.Remote(() => Jobs.Step(batch), options);
        return r;
    }

    public static async Task ActorsAsync(GranaryClient cluster)
    {
        ActorHandle<Counter> counter = await cluster.CreateActorAsync(() => new Counter(0));
        ObjectRef<int> after = counter.Call(c => c.Add(5));
        int value = await counter.Call(c => c.Value());
        await counter.KillAsync();

        Check.That(await after == 5 && value == 5, "actor calls in order");

        var service = await cluster.GetOrCreateActorAsync("model-server", () => new Counter(100),
            new ActorOptions { Lifetime = ActorLifetime.Detached });
        var same = await cluster.GetActorAsync<Counter>("model-server"); // from any client
        await cluster.KillAsync(same);                                   // same as same.KillAsync()

        Check.That(service.Id == same.Id, "one activation per name");
    }

    public static async Task MapBatchesAsync(GranaryClient cluster)
    {
        float[][] images = [.. Enumerable.Range(0, 1_000).Select(i => new float[] { i, 0.5f })];

        var pool = new ActorPoolOptions
        {
            Min = 2,                          // replicas at the start, and kept
            Max = 4,                          // grown to, one at a time, while every replica is busy (default: Min)
            Cpus = 1,                         // each replica's resources, as for an actor (Gpus, Resources, placement)
            MaxBatchesInFlightPerReplica = 2, // the default
            MaxBatchRetries = 3,              // the default: a failed batch goes again, to another replica
        };
        var scores = new List<float>();
        await foreach (float[] batchScores in cluster.MapBatches(images, 256, pool,
            () => new Classifier("model.onnx"),             // loaded once per replica
            (model, batch) => model.Predict(batch)))        // one actor call per batch of 256 rows
        {
            scores.AddRange(batchScores);                   // one result per batch, in input order
        }

        Check.That(scores.SequenceEqual(images.Select(i => i.Sum())), "one score per row, in input order");
    }

    public static async Task ActorRestartsAsync(GranaryClient cluster)
    {
        var counter = await cluster.CreateActorAsync(() => new Counter(0), new ActorOptions
        {
            MaxRestarts = 3,      // run the constructor again on another node, up to 3 times (-1: always)
            MaxTaskRetries = -1,  // send calls in flight when the node died again (0, the default: they fail)
        });
        int value = await counter.Call(c => c.Add(1)); // after a restart: the same handle, a fresh Counter(0)
        await counter.KillAsync();

        Check.That(value == 1, "a restartable actor answers like any other");
    }

    public static void PlacementStrategies(GranaryClient cluster, double[] batch)
    {
        var spread = cluster.Map(Enumerable.Range(0, 4), _ => MathJobs.WhereAmI(200),
            new RemoteOptions { Placement = SpreadPlacement.Instance });
        var pinned = cluster.Remote(() => Jobs.Step(batch),
            new RemoteOptions { Placement = new NodeAffinityPlacement("worker-1", soft: true) });
        var onH100 = cluster.Remote(() => Jobs.Train(batch),
            new RemoteOptions { Gpus = 1, Placement = new GpuTypePlacement("H100") });
    }

    public static async Task PlacementGroupsAsync(GranaryClient cluster, double[] batch)
    {
        var group = await cluster.CreatePlacementGroupAsync(
            [new ResourceBundle(cpus: 1, gpus: 1), new ResourceBundle(cpus: 1, gpus: 1)],
            PlacementGroupStrategy.StrictSpread, name: "trainers");
        foreach (var bundle in group.Bundles)
        {
            Console.WriteLine($"bundle {bundle.Index} on {bundle.NodeId}, GPUs [{string.Join(",", bundle.GpuIds)}]");
        }

        var step = cluster.Remote(() => Jobs.Step(batch),
            new RemoteOptions { Gpus = 1, PlacementGroup = group, BundleIndex = 0 });
        var helper = await cluster.CreateActorAsync(() => new Counter(0),
            new ActorOptions { Cpus = 1, PlacementGroup = group, BundleIndex = 1 });

        await cluster.RemovePlacementGroupAsync(group);
        await step;
        await helper.KillAsync();
    }

    public static IReadOnlyList<int> Gpus(GranaryClient cluster, double[] batch, IReadOnlyList<ObjectRef<double[]>> parts)
    {
        var train = cluster.Remote(() => Jobs.Train(batch), new RemoteOptions { Gpus = 1 });
        var shared = cluster.Map(parts, p => Jobs.Infer(p), new RemoteOptions { Gpus = 0.25 }); // four per device
        var isolated = cluster.Remote(() => Jobs.Train(batch),
            new RemoteOptions { Gpus = 2, Isolation = Isolation.Process });

        // Inside Jobs.Train: which devices of this node it was given, such as [2, 3].
        IReadOnlyList<int> mine = TaskContext.Current!.GpuIds;
        return mine;
    }

    public static async Task CommandsOnEveryNode(GranaryClient cluster)
    {
        foreach (var node in await cluster.RunOnEveryNodeAsync("nvidia-smi -L", timeout: TimeSpan.FromSeconds(30)))
        {
            Console.WriteLine($"{node.NodeId}: exit {node.ExitCode}\n{node.Output}{node.Errors}");
        }
    }

    public static async Task GpuMemoryPacking(GranaryClient cluster, double[] batch, IReadOnlyList<double[]> batches)
    {
        // Measured the first time it runs, alone on a device; later calls pack by that peak plus 10 %.
        var scores = cluster.Map(batches, b => Jobs.Score(b), new RemoteOptions { GpuMemory = GpuMemory.Profiled });

        // One method, different sizes of work: a job type each.
        var big = cluster.Remote(() => Jobs.Train(batch), new RemoteOptions { GpuMemory = GpuMemory.ProfiledAs("7b") });

        // Declared, without profiling.
        var known = cluster.Remote(() => Jobs.Train(batch), new RemoteOptions { GpuMemoryBytes = 20 * GpuMemory.GB });

        // On simulated GPUs a task says what it uses (on real ones NVML measures, and this does nothing).
        await TaskContext.Current!.ReportSimulatedGpuMemoryAsync(12 * GpuMemory.GB);
        GC.KeepAlive((scores, big, known));
    }

    /// <summary>The README's launch block; its middle lines stand for what runs inside a rank, where <paramref name="ctx"/> is given.</summary>
    public static async Task<IReadOnlyList<double>> DistributedAsync(GranaryClient cluster, RankContext ctx, float[] gradients, int epochs)
    {
        IReadOnlyList<double> losses = await cluster.Distributed(new() { Gpus = 8, GpuType = "H100", Remote = true })
            .RunAsync(ctx => Jobs.TrainRank(ctx, epochs));

        // Inside Jobs.TrainRank(RankContext ctx, int epochs): torchrun's values, also in the process environment.
        var mean = await ctx.AllReduceAsync(gradients, ReduceOp.Mean);    // ring, node to node
        await ctx.BarrierAsync("epoch");
        IReadOnlyList<string> hosts = await ctx.AllGatherObjectAsync(Environment.MachineName); // small values, through the head

        // On this machine: N local processes, same contract, same aggregation.
        var local = await cluster.Distributed(new() { Gpus = 2, Remote = false }).RunAsync(ctx => Jobs.TrainRank(ctx, epochs));

        // Ray-launch: rank 0 drives the ranks' GPUs; the other ranks end with its completion marker.
        string report = await cluster.Distributed(new() { Gpus = 4, GpuType = "H100" }).RunAsDriverAsync(ctx => Jobs.Drive(ctx));
        Check.That(report.Length > 0 && mean.Length == gradients.Length && hosts.Count > 0, "the launch block's values");
        return [.. losses, .. local];
    }

    public static async Task ErrorsAsync(GranaryClient cluster)
    {
        try
        {
            await cluster.Remote(() => Jobs.Parse("bad input"));
        }
        catch (FormatException e) when (e.InnerException is RemoteTaskException remote)
        {
            Console.WriteLine($"{remote.RemoteType}: {remote.RemoteMessage} (on {remote.NodeId}, in {remote.TaskName})");
            Console.WriteLine(e.StackTrace); // the remote stack, then the local one
        }
        catch (RemoteTaskException e)
        {
            Console.WriteLine($"{e.RemoteType}: {e.RemoteMessage} (on {e.NodeId}, in {e.TaskName})");
            Console.WriteLine(e.RemoteStackTrace);
        }

        // Any other exception would have left the block; this one is the FormatException it caught.
        var failure = await cluster.Remote(() => Jobs.Parse("bad input")).WaitAsync().ContinueWith(t => t.Exception?.InnerException, TaskScheduler.Default);
        Check.That(failure is FormatException { InnerException: RemoteTaskException { RemoteType: "System.FormatException" } }, "a FormatException on the silo");
    }

    public static async Task WorkFromInsideAsync(GranaryClient cluster)
    {
        int sum = await cluster.Remote(() => Tree.SumOfSquares(10));        // 385, from ten child tasks
        List<ObjectRef<int[]>> parts = await cluster.Remote(() => Tree.Split(3));
        int[] first = await parts[0];                                        // made by a child, read here

        var counter = await cluster.CreateActorAsync(() => new Counter(0));
        await cluster.Remote(() => Tree.Bump(counter, 5));                    // the task calls the same actor
        int value = await counter.Call(c => c.Value());                      // 5

        Check.That(sum == 385, "SumOfSquares");
        Check.That(first.Length == 1000, "a part made by a child task");
        Check.That(value == 5, "the task bumped the driver's counter");
    }

    public static async Task CancellingAsync(GranaryClient cluster, double[] batch)
    {
        var slow = cluster.Remote(() => Jobs.Crunch(batch, CancellationToken.None)); // the node passes the task's own token
        await cluster.CancelAsync(slow);
        try
        {
            await slow;
        }
        catch (TaskCancelledException e)
        {
            Console.WriteLine($"{e.TaskName} ({e.TaskId}) was cancelled");
        }

        // A method that never looks at its token: kill its worker process.
        var stubborn = cluster.Remote(() => Jobs.Spin(), new RemoteOptions { Isolation = Isolation.Process });
        await cluster.CancelAsync(stubborn, force: true);

        var error = await stubborn.WaitAsync().ContinueWith(t => t.Exception?.InnerException, TaskScheduler.Default);
        Check.That(error is TaskCancelledException && slow.IsReady, "both tasks cancelled");
    }

    public static async Task SerializersAsync()
    {
        var options = new ClientOptions();
        options.Serializers.Add(new WordSerializer());
        await using var cluster = await GranaryClient.ConnectAsync("127.0.0.1:6380", options);
    }
}

/// <summary>The README's user code that its snippets call (its `Jobs` "stand for your own code").</summary>
public static class Jobs
{
    public static ValueTask<int> CountAsync() => ValueTask.FromResult(3);

    public static void Log(string text) => Console.WriteLine(text);

    public static long SumAll(List<ObjectRef<int>> parts) =>
        parts.Sum(p => (long)p.GetAsync().AsTask().GetAwaiter().GetResult());

    public static List<ObjectRef<int>> MakeSquares(int n) =>       // a task that puts values and returns refs
        [.. Enumerable.Range(0, n).Select(i => TaskContext.Current!.Put(i * i))];

    public static void AppendLine(string path, string line)
    {
        // The first call is slower, so a broken order would show.
        Thread.Sleep(line == "first" ? 300 : 0);
        File.AppendAllLines(path, [line]);
    }

    public static (double Low, double High) MinMax(double[] values) => (values.Min(), values.Max());

    public static int[][] Shard(int count, int shards) =>
        [.. Enumerable.Range(0, count).GroupBy(i => i % shards).Select(g => g.ToArray())];

    public static long Total(int[] values) => values.Sum(v => (long)v);

    public static async IAsyncEnumerable<double> TrainEpochs(int epochs)
    {
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            await Task.Yield();                                      // one epoch's work
            yield return 1.0 / epoch;
        }
    }

    public static double Step(double[] batch) => batch.Sum();

    public static async Task<double> TrainRank(RankContext ctx, int epochs)
    {
        var gradients = new float[] { ctx.Rank, 1, 2 };
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            gradients = await ctx.AllReduceAsync(gradients, ReduceOp.Mean);
            await ctx.BarrierAsync("epoch");
        }

        return gradients[0];
    }

    public static string Drive(RankContext ctx) => $"rank {ctx.Rank} drove {ctx.PlacementGroup?.Bundles.Count} bundles";

    public static async Task<double> Crunch(double[] batch, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken); // stands for long work that watches its token
        return batch.Sum();
    }

    public static int Spin()
    {
        for (var i = 0; i < 600; i++)
        {
            Thread.Sleep(100); // stands for work that never looks at a token
        }

        return 0;
    }

    public static double Train(double[] batch) => batch.Sum();

    public static double Score(double[] batch) => batch.Max();

    public static double Infer(double[] part) => part.Sum();

    public static int Parse(string text) => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The README's tasks that submit work from inside the cluster.</summary>
public static class Tree
{
    public static int Square(int x) => x * x;

    public static async Task<int> SumOfSquares(int n)
    {
        GranaryClient cluster = TaskContext.Current!.Client;             // the job's in-cluster client
        IReadOnlyList<ObjectRef<int>> squares = cluster.Map(Enumerable.Range(1, n), i => Square(i));
        return (await cluster.GetAllAsync(squares)).Sum();
    }

    public static int[] Part(int index) => Enumerable.Repeat(index, 1000).ToArray();

    // Refs to the children's results go back to the caller, who owns them from then on.
    public static List<ObjectRef<int[]>> Split(int n) =>
        [.. Enumerable.Range(0, n).Select(i => TaskContext.Current!.Client.Remote(() => Part(i)))];

    // An actor handle is a value: this task calls the caller's actor.
    public static async Task Bump(ActorHandle<Counter> counter, int amount) => await counter.Call(c => c.Add(amount));
}

/// <summary>The README's model for MapBatches: stands for one that loads its weights in the constructor.</summary>
public sealed class Classifier(string path)
{
    public string Path => path;

    public float[] Predict(float[][] batch) => [.. batch.Select(row => row.Sum())];
}

public static class Shards
{
    [SpreadPlacement]
    public static int Load(int index) => index;
}

[GpuTypePlacement("H100")]
public sealed class Trainer { /* ... */ }

/// <summary>Fails a snippet whose result contradicts what its README comment says.</summary>
internal static class Check
{
    public static void That(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("README snippet: " + what);
        }
    }

    public static void UseGranaryInYourHost(HostApplicationBuilder builder, int siloPort, int gatewayPort)
    {
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: "user-service", clusterId: "user-cluster")
            .UseGranary(granary => granary.Cpus = 2));
    }

    public static void UseGranaryClientInYourClient(HostApplicationBuilder clientBuilder, int gatewayPort)
    {
        clientBuilder.UseOrleansClient(client => client
            .UseLocalhostClustering(gatewayPort, serviceId: "user-service", clusterId: "user-cluster")
            .UseGranaryClient());
    }
}

/// <summary>"On your own Orleans grains": naming the bundle for the call that activates a grain.</summary>
public static class BundleGrainSnippet
{
    public static async Task WarmUpAsync(IGrainFactory grains, PlacementGroup group)
    {
        using (PlacementGroupPlacement.UseBundle(group, bundleIndex: 1))
        {
            await grains.GetGrain<IModelServerGrain>("replica-1").Generate("warm up");
        }
    }
}
