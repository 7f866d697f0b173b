using Granary;

namespace ModelServer;

/// <summary>
/// One inference server on every node, as named detached actors pinned to their nodes: "model-server/NODE".
/// The driver starts them (<see cref="StartOnEveryNodeAsync"/>) and stops them all (<see cref="StopAllAsync"/>);
/// a task finds the one on its own node by name (<see cref="OnThisNodeAsync"/>), so requests never cross
/// nodes. A node that joins later gets no server until StartOnEveryNodeAsync runs again (it skips the nodes
/// that already have one: the name is taken).
/// </summary>
public static class ModelServers
{
    public const string Prefix = "model-server/";

    public static string NameFor(string nodeId) => Prefix + nodeId;

    /// <summary>Starts (or finds) a server on every live worker node; returns them by node.</summary>
    public static async Task<IReadOnlyDictionary<string, ActorHandle<InferenceServer>>> StartOnEveryNodeAsync(GranaryClient client, int features, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var nodes = (await client.GetNodesAsync(cancellationToken)).Where(n => n.Alive && !n.IsHead).ToList();
        var servers = await Task.WhenAll(nodes.Select(node => client.GetOrCreateActorAsync(
            NameFor(node.NodeId),
            () => new InferenceServer(features, seed),
            new ActorOptions
            {
                Lifetime = ActorLifetime.Detached,
                Cpus = 0,
                Placement = new NodeAffinityPlacement(node.NodeId, soft: false),
            },
            cancellationToken)));
        return nodes.Zip(servers).ToDictionary(pair => pair.First.NodeId, pair => pair.Second);
    }

    /// <summary>Inside a task or actor call: the server on the node it runs on.</summary>
    public static Task<ActorHandle<InferenceServer>> OnThisNodeAsync(CancellationToken cancellationToken = default)
    {
        var context = TaskContext.Current ?? throw new InvalidOperationException("OnThisNodeAsync finds the server of the node a task runs on: call it inside a task or an actor call.");
        return context.Client.GetActorAsync<InferenceServer>(NameFor(context.NodeId), cancellationToken);
    }

    /// <summary>The shutdown signal: every server frees its model and ends; returns how many requests each answered.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> StopAllAsync(GranaryClient client, IReadOnlyDictionary<string, ActorHandle<InferenceServer>> servers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(servers);
        var answered = await Task.WhenAll(servers.Select(async pair =>
        {
            var requests = await client.GetAsync(pair.Value.Call(s => s.Shutdown()), cancellationToken);
            await client.KillAsync(pair.Value, cancellationToken);
            return (pair.Key, requests);
        }));
        return answered.ToDictionary(a => a.Key, a => a.requests);
    }
}
