using System.Linq.Expressions;
using Granary.Client.Calls;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary;

public sealed partial class GranaryClient
{
    // A rank that was stopped because another failed ends quickly (its worker process is killed); this only
    // keeps a wedged node from holding RunAsync forever.
    private static readonly TimeSpan StoppedRanksGrace = TimeSpan.FromSeconds(30);

    /// <summary>A multi-rank launch over this client's cluster (or, with <c>Remote = false</c>, over this machine).</summary>
    public DistributedLaunch Distributed(DistributedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed();
        return new DistributedLaunch(this, options);
    }

    /// <summary>Checks the options and the call before anything starts (bad input throws here, not in the task).</summary>
    internal Task<IReadOnlyList<T>> RunLaunchAsync<T>(DistributedLaunch launch, LambdaExpression rank, bool driverMode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rank);
        ThrowIfDisposed();
        launch.Options.Validate();
        return RunLaunchCoreAsync<T>(launch, rank, CallParser.ParseStatic(rank), driverMode, cancellationToken);
    }

    private async Task<IReadOnlyList<T>> RunLaunchCoreAsync<T>(DistributedLaunch launch, LambdaExpression rank, ParsedCall parsed, bool driverMode, CancellationToken cancellationToken)
    {
        var options = launch.Options;
        if (options.Remote)
        {
            return await WithMetricsAsync(launch, () => RunRanksAsync<T>(options, options.GpuType, parsed, driverMode, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        // torchrun on this machine: a one-node embedded cluster whose GPUs are this machine's (simulated
        // without NVML), one worker process per rank, gone after the launch.
        var local = await LocalCluster.StartAsync(
            new LocalClusterOptions
            {
                Silos = 1,
                GpusPerSilo = options.Gpus,
                GpuType = options.GpuType,
                CpusPerSilo = Math.Max(1, options.Gpus * options.CpusPerRank),
                NodeDeadTimeout = GranaryDefaults.NodeDeadTimeout,
                Client = new ClientOptions { ConnectTimeout = _options.ConnectTimeout },
            },
            cancellationToken).ConfigureAwait(false);
        await using (local.ConfigureAwait(false))
        {
            return await local.WithMetricsAsync(launch, () => local.RunRanksAsync<T>(options, options.GpuType, CallParser.ParseStatic(rank), driverMode, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="run"/> with this client's metrics streamed to the launch's callback meanwhile.</summary>
    private async Task<IReadOnlyList<T>> WithMetricsAsync<T>(DistributedLaunch launch, Func<Task<IReadOnlyList<T>>> run, CancellationToken cancellationToken)
    {
        if (launch.OnMetrics is not { } onSample)
        {
            return await run().ConfigureAwait(false);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stream = StreamMetricsAsync(onSample, launch.MetricsInterval, stop.Token);
        try
        {
            return await run().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await stream.ConfigureAwait(false);
        }
    }

    private async Task StreamMetricsAsync(Action<NodeMetrics> onSample, TimeSpan? interval, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var sample in MonitorAsync(interval, cancellationToken).ConfigureAwait(false))
            {
                onSample(sample);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The callback's or the monitor's failure ends the stream; the launch goes on (WithMetrics says so).
            LogMetricsStreamEnded(_logger, ex);
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private async Task<IReadOnlyList<T>> RunRanksAsync<T>(DistributedOptions options, string? gpuType, ParsedCall parsed, bool driverMode, CancellationToken cancellationToken)
    {
        var world = options.Gpus;
        var launchId = NewId("l-");
        var group = await CreatePlacementGroupAsync(
            Enumerable.Range(0, world).Select(_ => new ResourceBundle(options.CpusPerRank, 1)).ToList(),
            PlacementGroupStrategy.Pack,
            name: launchId,
            gpuType,
            cancellationToken).ConfigureAwait(false);
        var refs = new ObjectRef<T>[world];
        try
        {
            var addresses = (await GetNodesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(n => n.NodeId, n => n.Address, StringComparer.Ordinal);
            var template = LaunchTemplate(options, launchId, group, addresses, driverMode);
            for (var i = 0; i < world; i++)
            {
                var launch = template.Clone();
                launch.Rank = i;
                launch.LocalRank = group.Bundles.Take(i).Count(b => b.NodeId == group.Bundles[i].NodeId);
                launch.LocalWorldSize = group.Bundles.Count(b => b.NodeId == group.Bundles[i].NodeId);
                var waiting = driverMode && i != 0;
                var rankOptions = new RemoteOptions
                {
                    PlacementGroup = group,
                    BundleIndex = i,
                    // A Ray-launch driver's ranks leave their GPUs to the driver's tasks; the waiting ones need no process.
                    Gpus = driverMode ? 0 : 1,
                    Cpus = waiting ? 0 : options.CpusPerRank,
                    Isolation = waiting ? Isolation.InProcess : Isolation.Process,
                    MaxRetries = 0,
                    Name = $"{parsed.DisplayName} rank {i}",
                };
                rankOptions.Validate();
                refs[i] = new ObjectRef<T>(SubmitParsed(parsed, [null], rankOptions, ShapeFor(rankOptions, parsed.Method), orderAfter: null, launch: launch));
            }

            return await CollectRanksAsync(launchId, group, refs, driverMode, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await EndLaunchQuietlyAsync(launchId, group).ConfigureAwait(false);
        }
    }

    private static LaunchRank LaunchTemplate(DistributedOptions options, string launchId, PlacementGroup group, Dictionary<string, string> addresses, bool driverMode)
    {
        var master = addresses.TryGetValue(group.Bundles[0].NodeId, out var address) ? address : "127.0.0.1";
        var template = new LaunchRank
        {
            LaunchId = launchId,
            WorldSize = group.Bundles.Count,
            MasterAddr = Granary.Grains.LaunchJoin.HostOf(master),
            RendezvousTimeoutMs = (long)options.RendezvousTimeout.TotalMilliseconds,
            CollectiveTimeoutMs = (long)options.CollectiveTimeout.TotalMilliseconds,
            DriverMode = driverMode,
            GroupId = group.Id,
            DirectLinks = options.CollectiveTransport == CollectiveTransport.Direct,
        };
        foreach (var bundle in group.Bundles)
        {
            template.RankNodes.Add(bundle.NodeId);
            var info = new BundleInfo { Index = bundle.Index, NodeId = bundle.NodeId, Address = addresses.GetValueOrDefault(bundle.NodeId, string.Empty), Resources = new ResourceMap() };
            foreach (var (name, amount) in bundle.Resources)
            {
                info.Resources.Amounts[name] = amount;
            }

            info.GpuIds.AddRange(bundle.GpuIds);
            template.Bundles.Add(info);
        }

        return template;
    }

    /// <summary>Every rank's output in rank order, or the first failure after stopping the other ranks.</summary>
    private async Task<IReadOnlyList<T>> CollectRanksAsync<T>(string launchId, PlacementGroup group, ObjectRef<T>[] refs, bool driverMode, CancellationToken cancellationToken)
    {
        // A Ray-launch's waiting ranks return nothing, whatever the driver's type.
        var outputs = refs.Select((r, i) => driverMode && i != 0 ? RankEndedAsync(r, cancellationToken) : OutputAsync(r, cancellationToken)).ToArray();
        var running = outputs.ToList();
        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running).ConfigureAwait(false);
            running.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                continue;
            }

            var rank = Array.IndexOf(outputs, done);
            var failure = done.Exception?.InnerException ?? new OperationCanceledException(cancellationToken);
            await StopRanksAsync(launchId, refs, outputs, rank, failure, driverMode).ConfigureAwait(false);
            if (failure is OperationCanceledException or RendezvousTimeoutException)
            {
                throw failure;
            }

            throw new RankFailedException(rank, group.Bundles[rank].NodeId, failure);
        }

        return outputs.Select(o => (T)o.Result!).ToList();
    }

    private async Task<object?> OutputAsync<T>(ObjectRef<T> rank, CancellationToken cancellationToken) => await GetAsync(rank, cancellationToken).ConfigureAwait(false);

    private async Task<object?> RankEndedAsync<T>(ObjectRef<T> rank, CancellationToken cancellationToken) =>
        await GetAsync(new ObjectRef<object?>(rank.Entry), cancellationToken).ConfigureAwait(false);

    /// <summary>torchrun's rule: one rank failing stops the rest. The marker releases ranks waiting at the head.</summary>
    private async Task StopRanksAsync<T>(string launchId, ObjectRef<T>[] refs, Task<object?>[] outputs, int failed, Exception failure, bool driverMode)
    {
        try
        {
            await Head.CompleteLaunch(new LaunchCompletion { LaunchId = launchId, Succeeded = false, Error = $"rank {failed} failed: {failure.Message}" }).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref _disposed) != 0)
        {
            // The client is going away; its job's end stops the ranks.
        }

        var stops = new List<Task>();
        for (var i = 0; i < refs.Length; i++)
        {
            if (!outputs[i].IsCompleted)
            {
                // Ranks in worker processes are killed (a rank stuck in a collective may never look at a token).
                stops.Add(CancelAsync(refs[i], force: !(driverMode && i != 0)));
            }
        }

        try
        {
            await Task.WhenAll(stops).WaitAsync(StoppedRanksGrace).ConfigureAwait(false);
            await Task.WhenAll(outputs).WaitAsync(StoppedRanksGrace).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // They were stopped; how each one ended does not change the launch's failure.
        }
    }

    private async Task EndLaunchQuietlyAsync(string launchId, PlacementGroup group)
    {
        try
        {
            await Head.EndLaunch(launchId).ConfigureAwait(false);
            await RemovePlacementGroupAsync(group).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref _disposed) != 0)
        {
            // The job's end removes the group and the launch's state at the head.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A launch's metrics stream ended early; the launch goes on")]
    private static partial void LogMetricsStreamEnded(ILogger logger, Exception exception);
}
