using System.Net;
using System.Net.Sockets;
using Granary.Grains;

namespace Granary.Silo.Tests;

/// <summary>Bad bytes sent to a live silo's ports (gateway and silo-to-silo) cost only that connection: the silo serves on.</summary>
public sealed class MalformedFrameTests : IAsyncLifetime
{
    private SiloHost _head = null!;

    public async Task InitializeAsync() => _head = await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 1 });

    public async Task DisposeAsync() => await _head.DisposeAsync();

    public static TheoryData<string, int> Inputs => new()
    {
        { "garbage", 256 },
        { "oversized", 8 },
        { "truncated", 14 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Bad_input_to_either_port_leaves_the_silo_serving(string kind, int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        if (kind == "oversized")
        {
            // A length prefix far over any message limit.
            BitConverter.TryWriteBytes(bytes, 1_000_000_000);
        }

        foreach (var endpoint in new[] { _head.Address, _head.Runtime.SiloEndpoint })
        {
            await SendAsync(endpoint, bytes, hangUp: kind == "truncated");
        }

        var report = await StatusCommand.FetchAsync(_head.Address).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(report.View.Nodes, n => n.NodeId == _head.NodeId);
    }

    private static async Task SendAsync(string address, byte[] bytes, bool hangUp)
    {
        var endpoint = IPEndPoint.Parse(address);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        await socket.SendAsync(bytes);
        if (hangUp)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        // The silo either closes the connection or waits for more; neither may take it down.
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ReceiveAsync(new byte[64], read.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Closed or silent: both are fine.
        }
    }
}
