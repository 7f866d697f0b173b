using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Runtime.Tests;

/// <summary>The dialing pool against a real loopback listener whose connections stay open until closed from our side.</summary>
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Dispose_closes_a_dialed_connection_that_an_adopted_one_replaced()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        // The listener holds its answer to our hello until the peer's own connection has been adopted.
        var answerHello = new TaskCompletionSource();
        var serverSide = AcceptOneAsync(listener, answerHello.Task);

        var pool = new ConnectionPool(() => new Hello { NodeId = "dialer" }, new QuietHandler(), NullLogger.Instance);

        // Both ends dialing at once: our dial is in flight when the peer's own connection is adopted.
        var dialing = pool.GetAsync(address, CancellationToken.None);
        Assert.False(dialing.IsCompleted);
        var adoptedPipe = new Pipe();
        var adopted = new Connection(new InMemoryPipe(adoptedPipe.Reader, new Pipe().Writer), address, new QuietHandler(), NullLogger.Instance);
        pool.Adopt(address, adopted);
        answerHello.SetResult();
        var dialed = await dialing;
        Assert.Same(adopted, await pool.GetAsync(address, CancellationToken.None));

        // The peer never hangs up on its own, so before the fix this waited for it forever.
        await pool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(dialed.IsClosed);
        var server = await serverSide;
        Assert.Equal("peer closed the connection", await server.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Dialing_a_port_nobody_listens_on_fails_and_is_retried_next_time()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        var address = $"127.0.0.1:{port}";
        probe.Stop();
        await using var pool = new ConnectionPool(() => new Hello(), new QuietHandler(), NullLogger.Instance);
        await Assert.ThrowsAsync<SocketException>(() => pool.GetAsync(address, CancellationToken.None));

        // A failed dial is not cached: once something listens there, the next call connects.
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var serverSide = AcceptOneAsync(listener);
        var connection = await pool.GetAsync(address, CancellationToken.None);
        Assert.False(connection.IsClosed);
        (await serverSide).Close("test over");
    }

    /// <summary>Accepts one socket and answers its Hello; the connection stays open until either side closes it.</summary>
    private static async Task<Connection> AcceptOneAsync(TcpListener listener, Task? answerHello = null)
    {
        var socket = await listener.AcceptSocketAsync();
        var stream = new NetworkStream(socket, ownsSocket: true);
        var connection = new Connection(new InMemoryPipe(PipeReader.Create(stream), PipeWriter.Create(stream)), "dialer", new HelloHandler(answerHello ?? Task.CompletedTask), NullLogger.Instance);
        _ = connection.RunAsync();
        return connection;
    }

    private sealed class InMemoryPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class HelloHandler(Task answerHello) : IMessageHandler
    {
        public async ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message)
        {
            await answerHello;
            return message.BodyCase == Envelope.BodyOneofCase.Hello ? new Envelope { HelloReply = new HelloReply { NodeId = "listener" } } : null;
        }

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    private sealed class QuietHandler : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => new((Envelope?)null);

        public void OnClosed(Connection connection, string reason)
        {
        }
    }
}
