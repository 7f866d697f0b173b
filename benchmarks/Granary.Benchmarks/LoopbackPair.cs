using System.Net;
using System.Net.Sockets;

namespace Granary.Benchmarks;

/// <summary>Two ends of one loopback TCP connection with Nagle off, for the floors measured beside Granary.</summary>
internal static class LoopbackPair
{
    public static async Task<(Socket Dialer, Socket Accepted)> ConnectAsync(CancellationToken cancellationToken)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var dialer = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await dialer.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        var accepted = await listener.AcceptAsync(cancellationToken);
        accepted.NoDelay = true;
        return (dialer, accepted);
    }
}
