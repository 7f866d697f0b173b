using System.Collections.Concurrent;
using Granary.Runtime.Grains;
using Orleans;

namespace Granary.Client;

/// <summary>The client's channel to every node it has talked to, by node id. Thread-safe.</summary>
internal sealed class NodeChannels(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, NodeChannel> _channels = new(StringComparer.Ordinal);

    public NodeChannel Get(string nodeId) =>
        _channels.GetOrAdd(nodeId, static (id, grains) => new NodeChannel(id, grains.GetGrain<INodeGrain>(id)), grains);

    /// <summary>The head declared the node dead: calls in flight there fail now, and later ones at once.</summary>
    public void OnNodeDied(string nodeId, string reason) => Get(nodeId).MarkDead($"the head declared node {nodeId} dead: {reason}");
}
