using System.Collections.Concurrent;
using Granary.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace Granary.Client;

/// <summary>
/// One extra Orleans client per worker node, whose only gateway is that node. An Orleans client sends
/// every call through one of its gateways, and Granary's own client knows only the head's, so without
/// these every task push, actor call and object chunk for a worker is relayed by the head silo: a second
/// hop each way, and the head's CPU. A node's channel uses the relay until its route is up, and again if
/// the route cannot be opened. Thread-safe.
/// </summary>
internal sealed class DirectRoutes(string clusterId, TimeSpan connectTimeout, ILoggerFactory? logging, Grains.Security.ClusterTls? tls) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ClusterClientHost?>>> _hosts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();

    /// <summary>Opens (once per address) a route to the node at <paramref name="address"/> and gives it to <paramref name="channel"/> when up.</summary>
    public void Open(NodeChannel channel, string address)
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        var host = _hosts.GetOrAdd(address, a => new Lazy<Task<ClusterClientHost?>>(() => ConnectAsync(a))).Value;
        _ = AttachWhenUpAsync(channel, host);
    }

    /// <summary>The node died: its route closes, so its Orleans client stops trying to reach it.</summary>
    public void Close(string address)
    {
        if (_hosts.TryRemove(address, out var host))
        {
            _ = DisposeWhenUpAsync(host.Value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        foreach (var address in _hosts.Keys)
        {
            if (_hosts.TryRemove(address, out var host))
            {
                await DisposeWhenUpAsync(host.Value).ConfigureAwait(false);
            }
        }

        _closing.Dispose();
    }

    private static async Task AttachWhenUpAsync(NodeChannel channel, Task<ClusterClientHost?> connecting)
    {
        var host = await connecting.ConfigureAwait(false);
        if (host is not null && !channel.IsDead)
        {
            channel.UseRoute(host.Client);
        }
    }

    private async Task<ClusterClientHost?> ConnectAsync(string address)
    {
        try
        {
            var host = await ClusterClientHost.ConnectAsync(address, clusterId, connectTimeout, logging, tls, configure: null, _closing.Token).ConfigureAwait(false);
            if (_closing.IsCancellationRequested)
            {
                await host.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            return host;
        }
        catch (Exception) when (_closing.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is GranaryException || TransientErrors.IsTransient(ex))
        {
            // The relay through the head still works; the route was only a shortcut.
            return null;
        }
    }

    private static async Task DisposeWhenUpAsync(Task<ClusterClientHost?> connecting)
    {
        var host = await connecting.ConfigureAwait(false);
        if (host is not null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }
}
