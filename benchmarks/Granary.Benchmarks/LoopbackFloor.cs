using System.Net.Sockets;

namespace Granary.Benchmarks;

/// <summary>
/// The physical floor for a synchronous call on this machine: request/response round trips of a small
/// message over one loopback TCP connection, with nothing else in the way.
/// </summary>
internal static class LoopbackFloor
{
    public static async Task<Func<Task<double>>> StartAsync(int roundTrips, CancellationToken cancellationToken)
    {
        var (client, server) = await LoopbackPair.ConnectAsync(cancellationToken);
        _ = EchoAsync(server, cancellationToken);

        var message = new byte[64];
        var reply = new byte[64];
        return async () =>
        {
            for (var i = 0; i < roundTrips; i++)
            {
                await client.SendAsync(message, SocketFlags.None, cancellationToken);
                var read = 0;
                while (read < reply.Length)
                {
                    read += await client.ReceiveAsync(reply.AsMemory(read), SocketFlags.None, cancellationToken);
                }
            }

            return (double)roundTrips;
        };
    }

    private static async Task EchoAsync(Socket server, CancellationToken cancellationToken)
    {
        var buffer = new byte[64];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await server.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
                    if (n == 0)
                    {
                        return;
                    }

                    read += n;
                }

                await server.SendAsync(buffer, SocketFlags.None, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
