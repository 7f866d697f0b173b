using ModelServer;

namespace Granary.TorchSharp.Tests;

/// <summary>samples/ModelServer: one inference server per node, requests served on the task's own node, one shutdown for all.</summary>
[Collection(TorchClusterCollection.Name)]
public sealed class ModelServerSampleTests(TorchClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task The_sample_serves_every_request_on_its_own_node_and_stops_every_server()
    {
        var output = new StringWriter();
        Assert.True(await ModelServerDemo.RunAsync(output).WithTimeout(Bound), output.ToString());
    }

    [Fact]
    public async Task There_is_exactly_one_server_per_node_and_the_shutdown_removes_them_all()
    {
        var client = fixture.Client;
        var servers = await ModelServers.StartOnEveryNodeAsync(client, features: 4, seed: 3).WithTimeout(Bound);
        var workers = (await client.GetNodesAsync().WithTimeout()).Where(n => !n.IsHead).Select(n => n.NodeId).ToHashSet();
        Assert.Equal(workers, servers.Keys.ToHashSet());
        Assert.All(servers, pair => Assert.Equal(pair.Key, pair.Value.NodeId));

        // Starting again finds the same servers rather than adding a second one on a node.
        var again = await ModelServers.StartOnEveryNodeAsync(client, features: 4, seed: 3).WithTimeout(Bound);
        Assert.All(again, pair => Assert.Equal(servers[pair.Key].Id, pair.Value.Id));

        // Every node's server answers alike (same weights), and names the node it ran on.
        var rows = new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 1, 1, 1, 1 };
        var answers = await Task.WhenAll(servers.Values.Select(s => s.Call(m => m.Predict(rows)).WithTimeout()));
        Assert.Equal(servers.Keys.ToHashSet(), answers.Select(a => a.ServerNode).ToHashSet());
        Assert.All(answers, a => Assert.Equal(answers[0].Scores, a.Scores));

        var answered = await ModelServers.StopAllAsync(client, servers).WithTimeout(Bound);
        Assert.All(answered.Values, requests => Assert.Equal(1, requests));
        foreach (var node in servers.Keys)
        {
            await Assert.ThrowsAsync<ActorNotFoundException>(() => client.GetActorAsync<InferenceServer>(ModelServers.NameFor(node))).WithTimeout();
        }
    }
}
