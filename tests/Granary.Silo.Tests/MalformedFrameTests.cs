using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using Granary.Grains;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Tests;

/// <summary>Bad bytes sent to a live silo close that one connection, with a logged reason; the silo serves on.</summary>
public sealed class MalformedFrameTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private ILoggerFactory _loggerFactory = null!;
    private SiloHost _head = null!;

    public async Task InitializeAsync()
    {
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Information));
        _head = await SiloHost.StartAsync(new SiloOptions { Cpus = 1, MaxFrameBytes = 64 * 1024, LoggerFactory = _loggerFactory }).WithTimeout();
    }

    public async Task DisposeAsync()
    {
        await _head.DisposeAsync().WithTimeout();
        _loggerFactory.Dispose();
    }

    [Fact]
    public async Task Garbage_bytes_close_the_connection_and_the_silo_keeps_serving()
    {
        var garbage = new byte[256];
        new Random(42).NextBytes(garbage);
        BinaryPrimitives.WriteInt32LittleEndian(garbage, 200);
        await SendAndExpectCloseAsync(garbage, shutdownAfterSend: false);
        await AssertLoggedAsync("malformed frame");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_connection_with_the_limit_in_the_reason()
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, 1_000_000_000);
        await SendAndExpectCloseAsync(header, shutdownAfterSend: false);
        await AssertLoggedAsync("oversized frame");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_truncated_frame_is_reported_when_the_peer_hangs_up()
    {
        var partial = new byte[14];
        BinaryPrimitives.WriteInt32LittleEndian(partial, 100);
        await SendAndExpectCloseAsync(partial, shutdownAfterSend: true);
        await AssertLoggedAsync("truncated frame");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task A_valid_message_before_hello_is_a_protocol_violation()
    {
        var envelope = new Envelope { CallId = 1, GetClusterView = new GetClusterView() }.ToByteArray();
        var frame = new byte[4 + envelope.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, envelope.Length);
        envelope.CopyTo(frame, 4);
        await SendAndExpectCloseAsync(frame, shutdownAfterSend: false);
        await AssertLoggedAsync("the first message must be Hello");
        await AssertStillServesAsync();
    }

    private async Task SendAndExpectCloseAsync(byte[] bytes, bool shutdownAfterSend)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Runtime.Transport.SocketConnector.ParseEndpoint(_head.Address)).WithTimeout();
        await socket.SendAsync(bytes).WithTimeout();
        if (shutdownAfterSend)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        do
        {
            read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).WithTimeout();
        }
        while (read > 0);
    }

    private async Task AssertLoggedAsync(string fragment)
    {
        await Eventually.HoldsAsync(
            () => _logs.Lines.Any(l => l.Contains(fragment, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(2),
            $"the silo logs \"{fragment}\"",
            () => string.Join(" | ", _logs.Lines));
    }

    private async Task AssertStillServesAsync()
    {
        var client = await GranaryClient.ConnectAsync(_head.Address).WithTimeout();
        await using var stopClient = client.DisposeWithin();
        var nodes = await client.GetNodesAsync().WithTimeout();
        Assert.Contains(nodes, n => n.NodeId == _head.NodeId);
    }
}
