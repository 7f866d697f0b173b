using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Granary.Silo;

/// <summary>
/// Chooses ports for silos that were not given one. Orleans needs a fixed port, so "any free port" is found
/// by binding port 0 and letting go; the kernel may hand the same port to the next caller in this process
/// (another embedded cluster starting at the same moment), so ports handed out here are remembered and not
/// given twice while they may still be on their way to being bound.
/// </summary>
internal static class PortPicker
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(2);
    private static readonly ConcurrentDictionary<int, DateTime> Handed = new();

    public static int Pick(IPAddress ip)
    {
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(ip, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var now = DateTime.UtcNow;
            Forget(now);
            if (Handed.TryAdd(port, now) || attempt >= 20)
            {
                return port;
            }
        }
    }

    public static bool IsFree(IPAddress ip, int port)
    {
        try
        {
            using var probe = new TcpListener(ip, port);
            probe.Start();
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    private static void Forget(DateTime now)
    {
        foreach (var (port, at) in Handed)
        {
            if (now - at > Remember)
            {
                Handed.TryRemove(port, out _);
            }
        }
    }
}
