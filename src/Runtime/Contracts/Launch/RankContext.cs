using System.Numerics;
using Granary.Runtime.Launch;
using Granary.Runtime.Serialization;
using Google.Protobuf;
using Granary.Runtime.Wire;

namespace Granary;

/// <summary>
/// One rank of a multi-rank launch (<c>client.Distributed(...).RunAsync(ctx =&gt; ...)</c>): torchrun's
/// contract (the same values are in the process's environment: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
/// MASTER_ADDR, MASTER_PORT, and CUDA_VISIBLE_DEVICES for its GPU), gatherings at the head (barriers, small
/// values) and ring collectives over float, double, int or long arrays sent node to node. Every rank must
/// call the collectives in the same order, as with torch.distributed. A parameter of this type is filled by
/// the node; pass the lambda's parameter there. One collective at a time per rank.
/// </summary>
public sealed class RankContext
{
    // Through the silos a ring step travels in pieces of this size, several in flight: smaller pieces
    // pipelined better than 4 MiB ones (64 MiB over 2 ranks: 0.05 against 0.02 GB/s on the benchmark machine).
    internal const int PieceBytes = 256 * 1024;

    private readonly ILaunchChannel _channel;
    private readonly ValueSerializer _serializer;
    private readonly Dictionary<string, int> _gatherings = new(StringComparer.Ordinal);
    private int _sequence;

    internal RankContext(LaunchRank rank, int masterPort, string nodeId, IReadOnlyList<int> gpuIds, ILaunchChannel channel, ValueSerializer serializer)
    {
        _channel = channel;
        _serializer = serializer;
        LaunchId = rank.LaunchId;
        Rank = rank.Rank;
        LocalRank = rank.LocalRank;
        WorldSize = rank.WorldSize;
        LocalWorldSize = rank.LocalWorldSize;
        MasterAddress = rank.MasterAddr;
        MasterPort = masterPort;
        NodeId = nodeId;
        GpuIds = gpuIds;
        IsDriver = rank.DriverMode && rank.Rank == 0;
        IsWaitingWorker = rank.DriverMode && rank.Rank != 0;
        CollectiveTimeout = TimeSpan.FromMilliseconds(rank.CollectiveTimeoutMs);
        PlacementGroup = rank.GroupId.Length == 0 ? null : new PlacementGroup(rank.GroupId, null, PlacementGroupStrategy.Pack, rank.Bundles
            .Select(b => new PlacementBundle(b.Index, b.NodeId, b.Resources.Amounts.ToDictionary(), [.. b.GpuIds]))
            .ToList());
        Environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["RANK"] = Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LOCAL_RANK"] = LocalRank.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WORLD_SIZE"] = WorldSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LOCAL_WORLD_SIZE"] = LocalWorldSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MASTER_ADDR"] = MasterAddress,
            ["MASTER_PORT"] = MasterPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public string LaunchId { get; }

    /// <summary>This rank, 0 to <see cref="WorldSize"/> - 1 (RANK).</summary>
    public int Rank { get; }

    /// <summary>This rank's index among the ranks on its node (LOCAL_RANK).</summary>
    public int LocalRank { get; }

    public int WorldSize { get; }

    /// <summary>How many ranks run on this node (LOCAL_WORLD_SIZE).</summary>
    public int LocalWorldSize { get; }

    /// <summary>The host of rank 0's node (MASTER_ADDR).</summary>
    public string MasterAddress { get; }

    /// <summary>A port rank 0 found free on its host at the rendezvous (MASTER_PORT), for a library's own process group.</summary>
    public int MasterPort { get; }

    public string NodeId { get; }

    /// <summary>The GPUs this rank was given (device indexes on its node, as <see cref="TaskContext.GpuIds"/>; CUDA_VISIBLE_DEVICES holds them).</summary>
    public IReadOnlyList<int> GpuIds { get; }

    /// <summary>True on rank 0 of a Ray-launch (<c>RunAsDriverAsync</c>): this rank drives the launch's placement group.</summary>
    public bool IsDriver { get; }

    /// <summary>torchrun's variables as this rank's process has them.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The launch's placement group (one bundle per rank, in rank order); what a Ray-launch driver submits into.</summary>
    public PlacementGroup? PlacementGroup { get; }

    internal TimeSpan CollectiveTimeout { get; }

    /// <summary>The rank's direct link for ring collectives (null through the silos); closed when the rank's task ends.</summary>
    internal RankLink? Link { get; init; }

    /// <summary>A Ray-launch rank other than 0: it runs nothing and ends when the driver's completion marker is written.</summary>
    internal bool IsWaitingWorker { get; }

    /// <summary>Waits until every rank has reached the barrier of this name (each call of a name is a new barrier).</summary>
    public async Task BarrierAsync(string name = "barrier", CancellationToken cancellationToken = default)
    {
        await _channel.GatherAsync(NextKey("barrier:" + name), [], CollectiveTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// torch.distributed's all_gather_object: every rank's small value, in rank order, through the head. For
    /// arrays of numbers use <see cref="AllGatherAsync{T}"/>, which goes node to node.
    /// </summary>
    public async Task<IReadOnlyList<T>> AllGatherObjectAsync<T>(T value, CancellationToken cancellationToken = default)
    {
        var payload = _serializer.Serialize(value, typeof(T)).ToByteArray();
        var all = await _channel.GatherAsync(NextKey("objects"), payload, CollectiveTimeout, cancellationToken).ConfigureAwait(false);
        return all.Select(bytes => (T)_serializer.Deserialize(Value.Parser.ParseFrom(bytes), typeof(T))!).ToList();
    }

    /// <summary>Ring all-reduce: every rank gets the element-wise reduction of all ranks' arrays (same length everywhere).</summary>
    public async Task<T[]> AllReduceAsync<T>(T[] data, ReduceOp op = ReduceOp.Sum, CancellationToken cancellationToken = default)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = (T[])data.Clone();
        await RingCollectives.AllReduceAsync(_channel, Rank, WorldSize, _sequence++, result, op, CollectiveTimeout, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Every rank gets <paramref name="root"/>'s array (the others' <paramref name="data"/> is ignored, and may be empty).</summary>
    public Task<T[]> BroadcastAsync<T>(T[] data, int root = 0, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, WorldSize);
        return RingCollectives.BroadcastAsync(_channel, Rank, WorldSize, _sequence++, data, root, CollectiveTimeout, cancellationToken);
    }

    /// <summary>Ring all-gather: every rank's array, in rank order (arrays may differ in length).</summary>
    public Task<T[][]> AllGatherAsync<T>(T[] data, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return RingCollectives.AllGatherAsync(_channel, Rank, WorldSize, _sequence++, data, CollectiveTimeout, cancellationToken);
    }

    /// <summary>Ray-launch: rank 0 says the launch is over, which lets the other ranks exit.</summary>
    internal Task CompleteAsync(bool succeeded, string error, CancellationToken cancellationToken) => _channel.CompleteAsync(succeeded, error, cancellationToken);

    internal Task<(bool Succeeded, string Error)> AwaitCompletionAsync(CancellationToken cancellationToken) => _channel.AwaitCompletionAsync(cancellationToken);

    private string NextKey(string name)
    {
        lock (_gatherings)
        {
            _gatherings.TryGetValue(name, out var count);
            _gatherings[name] = count + 1;
            return name + "#" + count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
