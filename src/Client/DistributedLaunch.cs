using System.Linq.Expressions;

namespace Granary;

/// <summary>
/// A multi-rank launch made by <see cref="GranaryClient.Distributed"/>: Databricks' <c>@distributed</c>
/// (<see cref="RunAsync{T}(Expression{Func{RankContext, T}}, CancellationToken)"/>) and <c>@ray_launch</c>
/// (<see cref="RunAsDriverAsync{T}(Expression{Func{RankContext, T}}, CancellationToken)"/>). The function is a
/// static method call; pass the lambda's <see cref="RankContext"/> where the method takes one. Each run is a
/// launch of its own; the object can run several.
/// </summary>
public sealed class DistributedLaunch
{
    private readonly GranaryClient _client;

    internal DistributedLaunch(GranaryClient client, DistributedOptions options)
    {
        _client = client;
        Options = options;
    }

    public DistributedOptions Options { get; }

    /// <summary>Called with each node's metrics sample while a run of this launch is going (null: none).</summary>
    internal Action<NodeMetrics>? OnMetrics { get; private set; }

    internal TimeSpan? MetricsInterval { get; private set; }

    /// <summary>
    /// Streams the cluster's metrics samples (<see cref="GranaryClient.MonitorAsync"/>) to
    /// <paramref name="onSample"/> while each run goes, from just before the ranks are placed until they all
    /// ended; in local mode, the local cluster's. A callback that throws stops the stream, not the launch.
    /// </summary>
    public DistributedLaunch WithMetrics(Action<NodeMetrics> onSample, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        OnMetrics = onSample;
        MetricsInterval = interval;
        return this;
    }

    /// <summary>
    /// Runs one copy per GPU and returns every rank's output in rank order. The first rank to fail stops the
    /// others and surfaces as <see cref="RankFailedException"/> naming rank and node (or
    /// <see cref="RendezvousTimeoutException"/> naming the ranks that never arrived).
    /// </summary>
    public Task<IReadOnlyList<T>> RunAsync<T>(Expression<Func<RankContext, T>> rank, CancellationToken cancellationToken = default) =>
        _client.RunLaunchAsync<T>(this, rank, driverMode: false, cancellationToken);

    public Task<IReadOnlyList<T>> RunAsync<T>(Expression<Func<RankContext, Task<T>>> rank, CancellationToken cancellationToken = default) =>
        _client.RunLaunchAsync<T>(this, rank, driverMode: false, cancellationToken);

    public Task RunAsync(Expression<Action<RankContext>> rank, CancellationToken cancellationToken = default) =>
        _client.RunLaunchAsync<object?>(this, rank, driverMode: false, cancellationToken);

    public Task RunAsync(Expression<Func<RankContext, Task>> rank, CancellationToken cancellationToken = default) =>
        _client.RunLaunchAsync<object?>(this, rank, driverMode: false, cancellationToken);

    /// <summary>
    /// Ray-launch: the ranks' GPUs are reserved as one placement group; rank 0 runs the function as the driver
    /// of that group (<see cref="RankContext.PlacementGroup"/>; submit with <c>TaskContext.Current.Client</c>
    /// into it) while the other ranks hold their nodes and end when rank 0 writes its completion marker, or
    /// fails. Returns rank 0's output.
    /// </summary>
    public async Task<T> RunAsDriverAsync<T>(Expression<Func<RankContext, T>> driver, CancellationToken cancellationToken = default) =>
        (await _client.RunLaunchAsync<T>(this, driver, driverMode: true, cancellationToken).ConfigureAwait(false))[0];

    public async Task<T> RunAsDriverAsync<T>(Expression<Func<RankContext, Task<T>>> driver, CancellationToken cancellationToken = default) =>
        (await _client.RunLaunchAsync<T>(this, driver, driverMode: true, cancellationToken).ConfigureAwait(false))[0];
}
