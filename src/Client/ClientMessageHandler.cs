using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>
/// What a client hears from the cluster: the head's notice that a node died (work in flight there is then
/// failed or retried at once, not after a TCP timeout). Any request is answered with a clear error.
/// </summary>
internal sealed class ClientMessageHandler(Action<Connection, string> onClosed, Action<NodeDied> onNodeDied) : IMessageHandler
{
    public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message)
    {
        if (message.BodyCase == Envelope.BodyOneofCase.NodeDied)
        {
            onNodeDied(message.NodeDied);
            return new ValueTask<Envelope?>((Envelope?)null);
        }

        return new(new Envelope { Error = ErrorConverter.System($"a client does not handle {message.BodyCase}", string.Empty) });
    }

    public void OnClosed(Connection connection, string reason) => onClosed(connection, reason);
}
