using System.Runtime.CompilerServices;
using Granary.Client;
using Granary.Runtime.Wire;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Streams every node's resource use as its samples arrive: CPU, memory, GPUs, tasks, leases and the
    /// object store (<see cref="NodeMetrics"/>). Each node samples with its heartbeat (about once a second)
    /// and the head keeps the latest; this asks the head every <paramref name="interval"/> (default
    /// <see cref="GranaryDefaults.MonitorInterval"/>) and yields each live node's sample once, the first
    /// round at once. A head that does not answer is asked again at the next interval. The sequence ends,
    /// without an exception, when <paramref name="cancellationToken"/> is cancelled or the client is disposed.
    /// </summary>
    public async IAsyncEnumerable<NodeMetrics> MonitorAsync(TimeSpan? interval = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var every = interval ?? GranaryDefaults.MonitorInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero, nameof(interval));
        ThrowIfDisposed();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            ClusterView? view = null;
            try
            {
                view = await Head.GetClusterView(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException || TransientErrors.IsTransient(ex))
            {
                // Cancelled (the loop ends), or the head is away for now (asked again next round).
            }

            foreach (var node in view?.Nodes ?? [])
            {
                if (stop.IsCancellationRequested)
                {
                    yield break;
                }

                if (node.State != NodeState.Dead && node.Metrics is { } sample
                    && (!seen.TryGetValue(node.NodeId, out var last) || sample.SampledAtUnixMs > last))
                {
                    seen[node.NodeId] = sample.SampledAtUnixMs;
                    yield return NodeMetricsReader.From(node, sample);
                }
            }

            try
            {
                await Task.Delay(every, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
