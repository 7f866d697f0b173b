using System.Collections.Concurrent;
using Orleans;

namespace Granary.Client;

/// <summary>
/// The client's channel to every node it has talked to, by node id. Given a node's address, it opens a
/// direct route there when the client has <see cref="DirectRoutes"/> (Granary's own connection does; a
/// user's Orleans client keeps its own routing). Thread-safe.
/// </summary>
internal sealed class NodeChannels(IGrainFactory grains, DirectRoutes? routes, string? headAddress)
{
    private readonly ConcurrentDictionary<string, NodeChannel> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _addresses = new(StringComparer.Ordinal);

    public NodeChannel Get(string nodeId, string? address = null)
    {
        var channel = _channels.GetOrAdd(nodeId, static (id, grains) => new NodeChannel(id, grains), grains);

        // The head's own gateway is this client's connection already: only other nodes get routes, each once.
        if (routes is not null && !string.IsNullOrEmpty(address) && address != headAddress && !channel.IsDead && _addresses.TryAdd(nodeId, address))
        {
            routes.Open(channel, address);
        }

        return channel;
    }

    /// <summary>The nodes whose calls take a direct route now.</summary>
    public IReadOnlyList<string> Routed => [.. _channels.Values.Where(c => c.HasRoute).Select(c => c.NodeId)];

    /// <summary>The head declared the node dead: calls in flight there fail now, and later ones at once.</summary>
    public void OnNodeDied(string nodeId, string reason)
    {
        Get(nodeId).MarkDead($"the head declared node {nodeId} dead: {reason}");
        if (routes is not null && _addresses.TryRemove(nodeId, out var address))
        {
            routes.Close(address);
        }
    }
}
