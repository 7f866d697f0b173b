using Granary.Silo;

namespace Granary.Client.Cli;

/// <summary>
/// Granary.Client's side of `granary run`: granary loads this type by name (<see cref="CommandLineClients"/>),
/// since it cannot reference Granary.Client. Stateless, so thread-safe.
/// </summary>
internal sealed class CommandLineConnector : ICommandLineConnector
{
    public async Task<ICommandLineClient> ConnectAsync(string address, CancellationToken cancellationToken) =>
        new CommandLineClient(await GranaryClient.ConnectAsync(address, new ClientOptions(), cancellationToken).ConfigureAwait(false));
}
