using System.Collections.Concurrent;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Runtime.Transport;

/// <summary>
/// Dialed connections by peer address: one per peer, opened on first use with a Hello, replaced when it
/// closes. Concurrent callers for the same address share one dial. Thread-safe.
/// </summary>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Connection>>> _connections = new(StringComparer.Ordinal);
    private readonly Func<Hello> _hello;
    private readonly IMessageHandler _handler;
    private readonly ILogger _logger;
    private readonly TransportOptions _options;
    private readonly List<Task> _loops = [];

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

            if (task.IsFaulted)
            {
                _connections.TryRemove(new KeyValuePair<string, Lazy<Task<Connection>>>(address, lazy));
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

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _connections.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Close("shutting down");
            }
        }

        Task[] loops;
        lock (_loops)
        {
            loops = [.. _loops];
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task<Connection> DialAsync(string address)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pipe = await SocketConnector.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
        var connection = new Connection(pipe, address, _handler, _logger, _options);
        var loop = connection.RunAsync();
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }

        var reply = await connection.RequestAsync(new Envelope { Hello = _hello() }, timeout.Token).ConfigureAwait(false);
        connection.State = reply.HelloReply;
        return connection;
    }
}
