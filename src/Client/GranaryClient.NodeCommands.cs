using Granary.Runtime.Commands;

namespace Granary;

public sealed partial class GranaryClient
{
    /// <summary>
    /// Runs a shell command (<c>/bin/sh -c</c>) once on every live node, head included, as the silo's user,
    /// and returns each node's exit code and output in node order (Runhouse's <c>cluster.run</c>). Each runs as a
    /// task pinned to its node that reserves nothing, so it runs even on a full node. A command that passes
    /// <paramref name="timeout"/> is killed with its children (exit code 124, <c>TimedOut</c>). A node that dies
    /// meanwhile fails the call with <see cref="NodeDiedException"/>.
    /// </summary>
    public async Task<IReadOnlyList<NodeCommandResult>> RunOnEveryNodeAsync(string command, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (timeout is { } limit && limit <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be more than zero; leave it out for no limit.");
        }

        ThrowIfDisposed();
        var seconds = timeout?.TotalSeconds ?? 0;
        var nodes = (await GetNodesAsync(cancellationToken).ConfigureAwait(false)).Where(n => n.Alive).OrderBy(n => n.NodeId, StringComparer.Ordinal).ToList();
        var runs = nodes.Select(node => Remote(
            () => NodeCommand.RunAsync(command, seconds, CancellationToken.None),
            new RemoteOptions { Cpus = 0, MaxRetries = 0, Placement = new NodeAffinityPlacement(node.NodeId), Name = "run on " + node.NodeId })).ToList();
        var results = new NodeCommandResult[runs.Count];
        try
        {
            for (var i = 0; i < runs.Count; i++)
            {
                results[i] = await runs[i].GetAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: the commands still running are cancelled, which kills them on their nodes.
            foreach (var run in runs)
            {
                await CancelAsync(run, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        return results;
    }
}
