using Granary.Grains;
using Granary.Silo;

namespace Granary.Client.Tests;

/// <summary>
/// A head without Redis restarts empty: its workers rejoin it within about twice the node timeout. A
/// request made in that window waits for them instead of failing as one that can never be scheduled.
/// </summary>
public sealed class HeadRestartWithoutRedisTests
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_task_submitted_before_the_workers_rejoin_a_restarted_head_waits_for_them_and_runs()
    {
        var head = await StartHeadAsync(port: 0);
        var port = int.Parse(head.Address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var worker = await SiloHost.StartAsync(new GranarySiloOptions { HeadAddress = head.Address, Cpus = 2, NodeId = "worker-1", NodeDeadTimeout = NodeTimeout, HeartbeatInterval = TimeSpan.FromMilliseconds(200) }).WithTimeout();
        await using var stopWorkerIfTheHeadNeverRestarts = worker.DisposeWithin();

        await head.KillAsync().WithTimeout();
        // A new silo port, as a restarted head without Redis needs (development clustering: the old endpoint's
        // table is gone), reserved by the picker so no other silo starting in this process meanwhile takes it.
        head = await StartHeadAsync(port, PortPicker.Pick(System.Net.IPAddress.Loopback));
        try
        {
            var client = await GranaryClient.ConnectAsync(head.Address).WithTimeout();
            await using var stopClient = client.DisposeWithin();

            // Only the head is there yet: the request waits for the worker instead of failing at once.
            Assert.DoesNotContain(await client.GetNodesAsync().WithTimeout(), n => n.NodeId == "worker-1" && n.Alive);
            Assert.Equal(9, await client.Remote(() => TestJobs.Square(3), new RemoteOptions { Cpus = 1 }).WithTimeout());
            Assert.Equal("worker-1", await client.Remote(() => TestJobs.WhereAmI()).WithTimeout());
        }
        finally
        {
            // Workers first, as a cluster stops: a worker's graceful leave goes through the head's membership
            // table, so once the head is gone it can only wait out its bound (a second dispose below is a no-op).
            await worker.DisposeAsync().WithTimeout();
            await head.DisposeAsync().WithTimeout();
        }
    }

    private static async Task<SiloHost> StartHeadAsync(int port, int siloPort = 0) =>
        await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 0, Port = port, SiloPort = siloPort, NodeDeadTimeout = NodeTimeout, HeartbeatInterval = TimeSpan.FromMilliseconds(200), NodeId = "head" }).WithTimeout();
}
