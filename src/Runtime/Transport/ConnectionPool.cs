using System.Collections.Concurrent;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Runtime.Transport;

/// <summary>
/// Dialed connections by peer address: one per peer, opened on first use with a Hello, replaced when it
/// closes. Concurrent callers for the same address share one dial. Thread-safe.
/// </summary>
internal sealed partial class ConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Connection>>> _connections = new(StringComparer.Ordinal);
    private readonly Func<Hello> _hello;
    private readonly IMessageHandler _handler;
    private readonly ILogger _logger;
    private readonly TransportOptions _options;
    private readonly List<(Connection Connection, Task Loop)> _dialed = [];
    private bool _disposed;

    public ConnectionPool(Func<Hello> hello, IMessageHandler handler, ILogger logger, TransportOptions? options = null)
    {
        _hello = hello;
        _handler = handler;
        _logger = logger;
        _options = options ?? TransportOptions.Default;
    }

    public Task<Connection> GetAsync(string address, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lazy = _connections.GetOrAdd(address, a => new Lazy<Task<Connection>>(() => DialAsync(a)));
            var task = lazy.Value;
            if (task.IsCompletedSuccessfully && task.Result.IsClosed)
            {
                _connections.TryRemove(new KeyValuePair<string, Lazy<Task<Connection>>>(address, lazy));
                continue;
            }

            if (task.IsFaulted || task.IsCanceled)
            {
                // A failed dial is not an answer for later callers: the peer may be up by now.
                _connections.TryRemove(new KeyValuePair<string, Lazy<Task<Connection>>>(address, lazy));
                continue;
            }

            return task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Reuses a connection the peer dialed to us, so a pair of silos shares one connection instead of
    /// opening a second one back.
    /// </summary>
    public void Adopt(string address, Connection connection)
    {
        var adopted = new Lazy<Task<Connection>>(Task.FromResult(connection));
        _connections.AddOrUpdate(address, adopted, (_, existing) =>
            existing.IsValueCreated && existing.Value.IsCompletedSuccessfully && !existing.Value.Result.IsClosed ? existing : adopted);
    }

    /// <summary>The open connection to <paramref name="address"/>, if one is already up.</summary>
    public Connection? TryGetOpen(string address) =>
        _connections.TryGetValue(address, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && !lazy.Value.Result.IsClosed
            ? lazy.Value.Result
            : null;

    /// <summary>
    /// Closes every connection this pool dialed, including ones no longer in the table (an in-flight dial that
    /// an adopted connection replaced): a loop left open would wait on the peer to hang up, and a peer that
    /// stops only after this one would never do so.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        (Connection Connection, Task Loop)[] dialed;
        lock (_dialed)
        {
            _disposed = true;
            dialed = [.. _dialed];
        }

        foreach (var (connection, _) in dialed)
        {
            connection.Close("shutting down");
        }

        var loops = Task.WhenAll(dialed.Select(d => d.Loop));
        if (await Task.WhenAny(loops, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != loops)
        {
            // A write loop can stay blocked on a peer that stopped reading; the process must still stop.
            LogSlowClose(dialed.Count(d => !d.Loop.IsCompleted));
        }
    }

    private async Task<Connection> DialAsync(string address)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pipe = await SocketConnector.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
        var connection = new Connection(pipe, address, _handler, _logger, _options);
        var loop = connection.RunAsync();
        bool disposed;
        lock (_dialed)
        {
            _dialed.RemoveAll(d => d.Loop.IsCompleted);
            _dialed.Add((connection, loop));
            disposed = _disposed;
        }

        if (disposed)
        {
            connection.Close("shutting down");
            throw new ConnectionClosedException(address, "the connection pool was disposed while dialing");
        }

        var reply = await connection.RequestAsync(new Envelope { Hello = _hello() }, timeout.Token).ConfigureAwait(false);
        connection.State = reply.HelloReply;
        return connection;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} connection(s) had not finished closing 5 s after shutdown began; leaving them")]
    private partial void LogSlowClose(int count);
}
