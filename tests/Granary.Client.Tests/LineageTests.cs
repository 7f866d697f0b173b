using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>
/// Ray's lineage reconstruction: a task result whose only copy died with its node is computed again by
/// running its task (and the tasks of its lost inputs) elsewhere, within MaxRetries.
/// </summary>
public sealed class LineageTests
{
    private const int Length = 50_000; // 400 KB of doubles: stored on the node that ran the task

    private static readonly RemoteOptions OnDoomed = new() { Placement = new NodeAffinityPlacement("doomed", soft: true) };

    [Fact]
    public async Task A_result_lost_with_its_node_is_computed_again_with_its_lost_input()
    {
        await using var cluster = await TwoWorkers.StartAsync().WithTimeout(TimeSpan.FromSeconds(60));
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var produced = cluster.Client.Remote(() => LineageJobs.Produce(folder, 0, Length), OnDoomed);
        var scaled = cluster.Client.Remote(() => LineageJobs.Scale(folder, 1, produced, 2.0), OnDoomed);
        await scaled.WaitAsync().WithTimeout();
        Assert.Equal("doomed", scaled.Entry.Location!.NodeId);
        Assert.Equal("doomed", produced.Entry.Location!.NodeId);

        await cluster.KillDoomedAsync();

        var values = await scaled.WithTimeout(TimeSpan.FromSeconds(60));
        Assert.Equal(2.0 * (Length - 1), values[^1]);
        Assert.Equal("survivor", scaled.Entry.Location!.NodeId);

        // Both tasks ran again, on the node that stayed up: the input had to be rebuilt before its user.
        var runs = ledger.Executions();
        Assert.Equal(["doomed", "survivor"], runs.Where(r => r.Index == 1).Select(r => r.NodeId).Order());
        Assert.Equal(["doomed", "survivor"], runs.Where(r => r.Index == 0).Select(r => r.NodeId).Order());
        Assert.Equal((Length - 1) * 1.0, (await produced.WithTimeout())[^1]);
        Assert.Equal(2, runs.Count(r => r.Index == 0));
    }

    [Fact]
    public async Task A_task_submitted_after_its_input_was_lost_gets_the_input_computed_again()
    {
        await using var cluster = await TwoWorkers.StartAsync().WithTimeout(TimeSpan.FromSeconds(60));
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var produced = cluster.Client.Remote(() => LineageJobs.Produce(folder, 0, Length), OnDoomed);
        await produced.WaitAsync().WithTimeout();
        Assert.Equal("doomed", produced.Entry.Location!.NodeId);

        await cluster.KillDoomedAsync();

        // The argument names the dead node's copy; the node that runs the task cannot read it.
        var scaled = cluster.Client.Remote(() => LineageJobs.Scale(folder, 1, produced, 3.0));
        Assert.Equal(3.0 * (Length - 1), (await scaled.WithTimeout(TimeSpan.FromSeconds(60)))[^1]);
        Assert.Equal(["doomed", "survivor"], ledger.Executions().Where(r => r.Index == 0).Select(r => r.NodeId).Order());
    }

    [Fact]
    public async Task Without_retries_a_lost_result_fails_with_ObjectLost()
    {
        await using var cluster = await TwoWorkers.StartAsync().WithTimeout(TimeSpan.FromSeconds(60));
        using var ledger = new ExecutionLedger();
        var folder = ledger.Folder;
        var options = new RemoteOptions { Placement = OnDoomed.Placement, MaxRetries = 0 };
        var produced = cluster.Client.Remote(() => LineageJobs.Produce(folder, 0, Length), options);
        await produced.WaitAsync().WithTimeout();
        Assert.Equal("doomed", produced.Entry.Location!.NodeId);

        await cluster.KillDoomedAsync();

        var error = await Assert.ThrowsAsync<ObjectLostException>(async () => await produced.WithTimeout(TimeSpan.FromSeconds(60)));
        Assert.Equal(produced.Id, error.ObjectId);
        Assert.Contains("no retries left", error.Message);
        Assert.Single(ledger.Executions());
    }

    /// <summary>A head, a worker the test kills ("doomed") and one that stays ("survivor"), and a client.</summary>
    private sealed class TwoWorkers : IAsyncDisposable
    {
        private readonly SiloHost _head;
        private readonly SiloHost _doomed;
        private readonly SiloHost _survivor;

        private TwoWorkers(SiloHost head, SiloHost doomed, SiloHost survivor, GranaryClient client)
        {
            _head = head;
            _doomed = doomed;
            _survivor = survivor;
            Client = client;
        }

        public GranaryClient Client { get; }

        public static async Task<TwoWorkers> StartAsync()
        {
            var head = await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, NodeDeadTimeout = TimeSpan.FromSeconds(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
            var doomed = await SiloHost.StartAsync(Worker(head.Address, "doomed"));
            var survivor = await SiloHost.StartAsync(Worker(head.Address, "survivor"));
            return new TwoWorkers(head, doomed, survivor, await GranaryClient.ConnectAsync(head.Address));
        }

        /// <summary>Kills "doomed" and waits until the client has heard it is dead.</summary>
        public async Task KillDoomedAsync()
        {
            await _doomed.KillAsync().WithTimeout();
            await Eventually.HoldsAsync(
                async () => !(await Client.GetNodesAsync().WithTimeout()).First(n => n.NodeId == "doomed").Alive,
                TimeSpan.FromSeconds(15),
                "the head declares the killed node dead");
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync().AsTask().WithTimeout();
            await _survivor.DisposeAsync().WithTimeout();
            await _doomed.DisposeAsync().WithTimeout();
            await _head.DisposeAsync().WithTimeout();
        }

        private static GranarySiloOptions Worker(string head, string id) =>
            new() { HeadAddress = head, Cpus = 1, NodeId = id, HeartbeatInterval = TimeSpan.FromMilliseconds(200) };
    }
}
