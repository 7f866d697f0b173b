using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Granary.Client.Tests;

/// <summary>
/// A stand-in for a silo that dies while it streams an object: it answers Hello, and to a GetObject sends the
/// stream's header and one chunk of data, then drops the connection. Listens on a loopback port.
/// </summary>
public sealed class DyingHolder : IAsyncDisposable, IMessageHandler
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private DyingHolder(Socket listener) => _listener = listener;

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    public static Task<DyingHolder> StartAsync()
    {
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var holder = new DyingHolder(listener);
        holder._accepting = holder.AcceptAsync();
        return Task.FromResult(holder);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Close("test over");
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    ValueTask<Envelope?> IMessageHandler.HandleAsync(Connection connection, Envelope message)
    {
        switch (message.BodyCase)
        {
            case Envelope.BodyOneofCase.Hello:
                return new(new Envelope { HelloReply = new HelloReply { NodeId = "node-doomed" } });
            case Envelope.BodyOneofCase.GetObject:
                var id = message.GetObject.StreamId;
                connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Header = new Value { Format = ValueFormat.Raw, Serializer = "System.Byte" }, Size = 8 << 20 } });
                connection.Send(new Envelope { ObjectChunk = new ObjectChunk { StreamId = id, Data = ByteString.CopyFrom(new byte[4096]) } });
                _ = Task.Run(async () =>
                {
                    await Task.Delay(50);
                    connection.Close("the holder died mid-stream");
                });
                return new(new TaskCompletionSource<Envelope?>().Task);
            default:
                return new((Envelope?)null);
        }
    }

    void IMessageHandler.OnClosed(Connection connection, string reason)
    {
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_stop.Token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            var connection = new Connection(new Pipe(PipeReader.Create(stream), PipeWriter.Create(stream)), "fetcher", this, NullLogger.Instance);
            lock (_connections)
            {
                _connections.Add(connection);
            }

            _ = connection.RunAsync();
        }
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
