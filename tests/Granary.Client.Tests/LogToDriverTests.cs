using System.Collections.Concurrent;

namespace Granary.Client.Tests;

/// <summary>ClientOptions.LogToDriver: what tasks and actors write in a silo comes back to their client, prefixed; off ships nothing.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LogToDriverTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Console_and_logger_lines_of_a_task_and_an_actor_arrive_at_the_client_prefixed_with_node_and_task()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        await using var client = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        var lines = new ConcurrentQueue<TaskLogEventArgs>();
        client.TaskLog += (_, line) => lines.Enqueue(line);

        Assert.True(await client.Remote(() => LogJobs.Say(marker), new RemoteOptions { Name = "say" }).WithTimeout());
        var talker = await client.CreateActorAsync(() => new Talker(marker)).WithTimeout();
        Assert.Equal(1, await talker.Call(t => t.Talk(marker)).WithTimeout());

        string[] expected = [$"out {marker}", $"warn: logged {marker}", $"err {marker} end", $"born {marker}", $"actor {marker}"];
        await Eventually.HoldsAsync(() => expected.All(e => lines.Any(l => l.Text == e)), Arrival, "every line reaches the client", () => string.Join(" | ", lines));

        var printed = lines.ToDictionary(l => l.Text, l => l.ToString());
        var node = lines.First(l => l.Text == $"out {marker}").NodeId;
        Assert.StartsWith("node-", node);
        Assert.Equal($"({node} task=say) out {marker}", printed[$"out {marker}"]);
        Assert.True(lines.First(l => l.Text == $"err {marker} end").IsError);
        Assert.True(lines.First(l => l.Text == $"warn: logged {marker}").IsError);
        Assert.Matches($@"^\(node-\w+ task=Talker\.Talk actor=\S+\) actor {marker}$", printed[$"actor {marker}"]);
    }

    [Fact]
    public async Task With_LogToDriver_off_nothing_is_shipped()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        await using var quiet = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress, new ClientOptions { LogToDriver = false }).WithTimeout();
        var heard = new ConcurrentQueue<TaskLogEventArgs>();
        quiet.TaskLog += (_, line) => heard.Enqueue(line);

        var routed = await quiet.Remote(() => LogJobs.Say(marker)).WithTimeout();

        // A job that ships its lines, on the same nodes, after the quiet one: once its line is back, a line
        // the quiet job had shipped would be too (each node sends its batches in order).
        await using var loud = await GranaryClient.ConnectAsync(fixture.Cluster.HeadAddress).WithTimeout();
        var loudLines = new ConcurrentQueue<TaskLogEventArgs>();
        loud.TaskLog += (_, line) => loudLines.Enqueue(line);
        await loud.Remote(() => LogJobs.Say(marker)).WithTimeout();
        await Eventually.HoldsAsync(() => loudLines.Any(l => l.Text == $"err {marker} end"), Arrival, "the loud job's lines arrive");

        Assert.Empty(heard);
        Assert.False(routed);
    }
}
