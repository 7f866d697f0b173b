namespace Granary.Silo;

/// <summary>Connects an <see cref="ICommandLineClient"/> to a running cluster; made by <see cref="CommandLineClients"/>.</summary>
internal interface ICommandLineConnector
{
    /// <summary>Starts a job at the head at <paramref name="address"/> (host:port); throws naming the head when it cannot reach it.</summary>
    Task<ICommandLineClient> ConnectAsync(string address, CancellationToken cancellationToken);
}
