namespace Granary.Client;

/// <summary>Errors that say "the cluster is not reachable right now", worth waiting out (a head restart, a node being declared dead).</summary>
internal static class TransientErrors
{
    public static bool IsTransient(Exception error) =>
        error is Orleans.Runtime.OrleansException or TimeoutException or IOException or System.Net.Sockets.SocketException
        && error is not GranaryException;
}
