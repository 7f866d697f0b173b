using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>Receives the requests and one-way messages that arrive on a <see cref="Connection"/>.</summary>
internal interface IMessageHandler
{
    /// <summary>
    /// Called on the connection's read loop, in arrival order, so it must not block: queue work and return a
    /// pending ValueTask. The result is sent back as the reply; null means no reply (one-way message).
    /// </summary>
    ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message);

    void OnClosed(Connection connection, string reason);
}
