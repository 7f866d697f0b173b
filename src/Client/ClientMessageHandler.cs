using Granary.Runtime.Serialization;
using Granary.Runtime.Transport;
using Granary.Runtime.Wire;

namespace Granary.Client;

/// <summary>A client serves no requests yet; it answers any with a clear error rather than leaving the caller hanging.</summary>
internal sealed class ClientMessageHandler(Action<Connection, string> onClosed) : IMessageHandler
{
    public ValueTask<Envelope?> HandleAsync(Connection connection, Envelope message) =>
        new(new Envelope { Error = ErrorConverter.System($"a client does not handle {message.BodyCase}", string.Empty) });

    public void OnClosed(Connection connection, string reason) => onClosed(connection, reason);
}
