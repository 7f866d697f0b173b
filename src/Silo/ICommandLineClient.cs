using System.Linq.Expressions;

namespace Granary.Silo;

/// <summary>
/// What `granary run` needs of a Granary client: one job on the cluster that runs static methods and hands
/// back their values, and prints what they write (log_to_driver). Granary.Client implements it
/// (<c>Granary.Client.Cli.CommandLineClient</c>); this assembly cannot reference Granary.Client, which
/// references it, so <see cref="CommandLineClients"/> loads the implementation at run time. Thread-safe.
/// </summary>
internal interface ICommandLineClient : IAsyncDisposable
{
    /// <summary>Runs <paramref name="call"/> as one task; cancelling the token cancels the task on the cluster.</summary>
    Task<T> RunAsync<T>(Expression<Func<Task<T>>> call, RemoteOptions options, CancellationToken cancellationToken);

    /// <summary>Waits for the last lines of finished tasks, which travel apart from their results and may come after them.</summary>
    Task DrainLogsAsync(CancellationToken cancellationToken);
}
