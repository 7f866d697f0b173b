namespace Granary.Runtime.Transport;

/// <summary>A call could not complete because its connection closed; the reason says why.</summary>
internal sealed class ConnectionClosedException : Exception
{
    public ConnectionClosedException(string peer, string reason) : base($"connection to {peer} closed: {reason}")
    {
        Peer = peer;
        Reason = reason;
    }

    public string Peer { get; }

    public string Reason { get; }
}
