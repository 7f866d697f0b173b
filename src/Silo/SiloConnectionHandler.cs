using Granary.Grains;
using Granary.Runtime.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Granary.Silo;

/// <summary>Kestrel hands every accepted TCP connection here; it becomes a Granary <see cref="Connection"/>.</summary>
internal sealed class SiloConnectionHandler(SiloRuntime silo) : ConnectionHandler
{
    private readonly ILogger _logger = silo.LoggerFactory.CreateLogger("Granary.Transport");

    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        silo.ConnectionAccepted();
        var connection = new Connection(context.Transport, context.RemoteEndPoint?.ToString() ?? context.ConnectionId, silo.Handler, _logger, silo.Transport);
        using var stopping = silo.Stopping.Register(() => connection.Close("the silo is stopping"));
        await connection.RunAsync().ConfigureAwait(false);
    }
}
