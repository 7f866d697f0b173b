using System.IO.Pipelines;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Runtime.Tests;

/// <summary>Two connections joined by in-memory pipes: correlation, concurrency and close semantics.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public async Task Concurrent_calls_are_matched_to_their_replies()
    {
        var (client, server, _) = Pair(new EchoHandler());
        var calls = Enumerable.Range(0, 500).Select(i => client.RequestAsync(new Envelope { Heartbeat = new Heartbeat { NodeId = "n" + i } })).ToList();
        var replies = await Task.WhenAll(calls);
        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal("n" + i, replies[i].Heartbeat.NodeId);
        }

        client.Close("done");
        server.Close("done");
    }

    [Fact]
    public async Task Closing_fails_pending_calls_with_the_reason()
    {
        var (client, _, _) = Pair(new SilentHandler());
        var pending = client.CallAsync(new Envelope { Heartbeat = new Heartbeat() });
        client.Close("test over");
        var error = await Assert.ThrowsAsync<ConnectionClosedException>(() => pending);
        Assert.Contains("test over", error.Message);
        await Assert.ThrowsAsync<ConnectionClosedException>(() => client.CallAsync(new Envelope { Heartbeat = new Heartbeat() }));
    }

    [Fact]
    public async Task An_error_reply_becomes_a_typed_exception()
    {
        var (client, _, _) = Pair(new FailingHandler());
        var error = await Assert.ThrowsAsync<InfeasibleResourcesException>(() => client.RequestAsync(new Envelope { Heartbeat = new Heartbeat() }));
        Assert.Contains("never", error.Message);
    }

    private static (Connection Client, Connection Server, Task Loops) Pair(IMessageHandler serverHandler)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var client = new Connection(new DuplexPipe(toClient.Reader, toServer.Writer), "server", new SilentHandler(), NullLogger.Instance);
        var server = new Connection(new DuplexPipe(toServer.Reader, toClient.Writer), "client", serverHandler, NullLogger.Instance);
        return (client, server, Task.WhenAll(client.RunAsync(), server.RunAsync()));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class EchoHandler : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => new(new Envelope { Heartbeat = message.Heartbeat });

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    private sealed class SilentHandler : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) => new(new TaskCompletionSource<Envelope?>().Task);

        public void OnClosed(Connection connection, string reason)
        {
        }
    }

    private sealed class FailingHandler : IMessageHandler
    {
        public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) =>
            ValueTask.FromException<Envelope?>(new InfeasibleResourcesException("this can never fit"));

        public void OnClosed(Connection connection, string reason)
        {
        }
    }
}
