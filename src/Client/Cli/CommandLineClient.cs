using System.Linq.Expressions;
using Granary.Silo;

namespace Granary.Client.Cli;

/// <summary>
/// One `granary run` job: a <see cref="GranaryClient"/> with its defaults (it prints what its tasks write,
/// prefixed with node and task). Thread-safe, as the client is.
/// </summary>
internal sealed class CommandLineClient : ICommandLineClient
{
    // A task's lines travel node -> head -> here in batches sent every LogFlushInterval, apart from its
    // result, so its last lines can arrive after the result: this much quiet after the last result and
    // line says they are all here.
    private static readonly TimeSpan Quiet = GranaryDefaults.LogFlushInterval * 5;

    // Bounds the wait when lines never stop coming (a command that left a chatty process behind).
    private static readonly TimeSpan MostWait = TimeSpan.FromSeconds(5);

    private readonly GranaryClient _client;
    private long _lastActivity = Environment.TickCount64;

    public CommandLineClient(GranaryClient client)
    {
        _client = client;
        _client.TaskLog += (_, _) => Touch();
    }

    public async Task<T> RunAsync<T>(Expression<Func<Task<T>>> call, RemoteOptions options, CancellationToken cancellationToken)
    {
        var result = _client.Remote(call, options);
        try
        {
            return await result.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up (Ctrl+C): the command must not run on without it.
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.CancelAsync(result, force: false, recursive: true, bound.Token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            Touch();
        }
    }

    public async Task DrainLogsAsync(CancellationToken cancellationToken)
    {
        var until = Environment.TickCount64 + (long)MostWait.TotalMilliseconds;
        while (Environment.TickCount64 < until && Environment.TickCount64 - Volatile.Read(ref _lastActivity) < Quiet.TotalMilliseconds)
        {
            await Task.Delay(GranaryDefaults.LogFlushInterval / 2, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);
}
