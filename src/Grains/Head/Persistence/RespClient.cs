// A deliberately small Redis client speaking RESP2 over one TCP connection. It exists because no Redis
// client package resolves from this project's NuGet copy (StackExchange.Redis's dependencies are missing
// there), and the head only needs a handful of string, hash and binary commands. It is tested against a
// real redis-server started by tests/Granary.Grains.Tests/RedisServerFixture.cs, not against a fake.

using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// A Redis client over one TCP connection, safe to share between many callers. Requests are pipelined:
/// each is written whole, in order, under a write lock, and replies are matched to requests first in, first
/// out by one reader loop, so concurrent callers do not wait for each other's round trips. When the
/// connection drops, every call still waiting fails with <see cref="RedisConnectionException"/> naming the
/// address, and the next call opens a new connection, so a silo outlives a Redis restart. Calls are never
/// retried: a command that was in flight may or may not have run.
/// </summary>
internal sealed class RespClient : IAsyncDisposable
{
    // An unreachable host would otherwise hold a call for the OS connect timeout (minutes).
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private static readonly ReadOnlyMemory<byte> Get = "GET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Set = "SET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Del = "DEL"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> HSet = "HSET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> HGet = "HGET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> HDel = "HDEL"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> HGetAll = "HGETALL"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Ping = "PING"u8.ToArray();

    private readonly string _host;
    private readonly int _port;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile Connection? _connection;
    private volatile bool _disposed;

    private RespClient(string address, string host, int port)
    {
        Address = address;
        _host = host;
        _port = port;
    }

    /// <summary>The <c>host:port</c> this client talks to.</summary>
    public string Address { get; }

    /// <summary>Connects to the Redis server at <paramref name="address"/> (<c>host:port</c>).</summary>
    public static async Task<RespClient> ConnectAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var (host, port) = ParseAddress(address);
        var client = new RespClient(address, host, port);
        client._connection = await Connection.OpenAsync(address, host, port, cancellationToken).ConfigureAwait(false);
        return client;
    }

    public async Task<string> PingAsync(CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([Ping], cancellationToken).ConfigureAwait(false);
        return reply.AsString() ?? throw Unexpected("PING", reply);
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var bytes = await GetBytesAsync(key, cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    public Task SetAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SetBytesAsync(key, Encoding.UTF8.GetBytes(value), cancellationToken);
    }

    public async Task<byte[]?> GetBytesAsync(string key, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([Get, Utf8(key)], cancellationToken).ConfigureAwait(false);
        return reply.Type == RespType.BulkString ? reply.Bulk : throw Unexpected("GET", reply);
    }

    public async Task SetBytesAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([Set, Utf8(key), value], cancellationToken).ConfigureAwait(false);
        if (reply.Type != RespType.SimpleString)
        {
            throw Unexpected("SET", reply);
        }
    }

    /// <summary>Deletes <paramref name="key"/>; returns how many keys were removed (0 or 1).</summary>
    public async Task<long> DelAsync(string key, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([Del, Utf8(key)], cancellationToken).ConfigureAwait(false);
        return reply.Type == RespType.Integer ? reply.Integer : throw Unexpected("DEL", reply);
    }

    public async Task HashSetAsync(string key, string field, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var reply = await ExecuteAsync([HSet, Utf8(key), Utf8(field), Utf8(value)], cancellationToken).ConfigureAwait(false);
        if (reply.Type != RespType.Integer)
        {
            throw Unexpected("HSET", reply);
        }
    }

    public async Task<string?> HashGetAsync(string key, string field, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([HGet, Utf8(key), Utf8(field)], cancellationToken).ConfigureAwait(false);
        return reply.Type == RespType.BulkString ? reply.AsString() : throw Unexpected("HGET", reply);
    }

    /// <summary>Removes <paramref name="field"/> from the hash; returns how many fields were removed (0 or 1).</summary>
    public async Task<long> HashDeleteAsync(string key, string field, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([HDel, Utf8(key), Utf8(field)], cancellationToken).ConfigureAwait(false);
        return reply.Type == RespType.Integer ? reply.Integer : throw Unexpected("HDEL", reply);
    }

    /// <summary>All fields of the hash at <paramref name="key"/>; empty when the key does not exist.</summary>
    public async Task<IReadOnlyDictionary<string, string>> HashGetAllAsync(string key, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync([HGetAll, Utf8(key)], cancellationToken).ConfigureAwait(false);
        if (reply.Type != RespType.Array || reply.Items is not { } items || items.Count % 2 != 0)
        {
            throw Unexpected("HGETALL", reply);
        }

        var result = new Dictionary<string, string>(items.Count / 2, StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i += 2)
        {
            result[items[i].AsString() ?? throw Unexpected("HGETALL", reply)] = items[i + 1].AsString() ?? throw Unexpected("HGETALL", reply);
        }

        return result;
    }

    /// <summary>Runs any command given as UTF-8 strings, e.g. <c>["INCR", key]</c>.</summary>
    /// <exception cref="RedisException">The server answered with an error reply.</exception>
    public Task<RespValue> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var encoded = new ReadOnlyMemory<byte>[args.Count];
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = Utf8(args[i]);
        }

        return ExecuteAsync(encoded, cancellationToken);
    }

    /// <summary>
    /// Runs any command given as raw arguments (the command name first). An error reply at the top level
    /// throws <see cref="RedisException"/>; errors nested inside an array (e.g. from EXEC) are returned as
    /// values of type <see cref="RespType.Error"/>.
    /// </summary>
    public async Task<RespValue> ExecuteAsync(IReadOnlyList<ReadOnlyMemory<byte>> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0)
        {
            throw new ArgumentException("A Redis command needs at least its name.", nameof(args));
        }

        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var reply = await connection.SendAsync(args, cancellationToken).ConfigureAwait(false);
        return reply.Type == RespType.Error ? throw new RedisException(reply.Text ?? "ERR") : reply;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Taking the connect lock means no connection is being opened behind our back while we close.
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async ValueTask<Connection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { IsUsable: true } current)
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { } existing)
            {
                if (existing.IsUsable)
                {
                    return existing;
                }

                _connection = null;
                await existing.DisposeAsync().ConfigureAwait(false);
            }

            var opened = await Connection.OpenAsync(Address, _host, _port, cancellationToken).ConfigureAwait(false);
            _connection = opened;
            return opened;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private static (string Host, int Port) ParseAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1
            || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{address}' is not a Redis address of the form host:port.");
        }

        // "[::1]:6379" names an IPv6 host; the brackets are only there to set the port apart.
        var host = address[..colon];
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        return (host, port);
    }

    private static ReadOnlyMemory<byte> Utf8(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encoding.UTF8.GetBytes(text);
    }

    private static RedisException Unexpected(string command, RespValue reply) =>
        new($"Unexpected reply to {command}: {reply.Type}{(reply.IsNull ? " (null)" : "")}.");

    /// <summary>One TCP connection: a write lock for whole requests, a FIFO of waiting callers, and a reader loop.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        // Arguments at least this big go to the socket straight from the caller's memory instead of being
        // copied into the write buffer, so a multi-megabyte value is not copied twice.
        private const int DirectWriteThreshold = 32 * 1024;

        private readonly string _address;
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly RespReader _reader;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly Queue<TaskCompletionSource<RespValue>> _pending = new();
        private byte[] _writeBuffer = new byte[16 * 1024];
        private int _written;
        private Exception? _failure; // guarded by _pending
        private Task _readLoop = Task.CompletedTask;

        private Connection(string address, Socket socket)
        {
            _address = address;
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new RespReader(_stream);
        }

        /// <summary>
        /// False once the connection has failed, or when the server has closed it and the reader loop has
        /// not noticed yet: with nothing in flight a RESP2 server sends nothing, so a readable socket then
        /// means end of stream. Catching that here lets the first call after a server restart reconnect
        /// instead of failing.
        /// </summary>
        public bool IsUsable
        {
            get
            {
                lock (_pending)
                {
                    if (_failure is not null)
                    {
                        return false;
                    }

                    if (_pending.Count > 0)
                    {
                        return true;
                    }
                }

                try
                {
                    return !_socket.Poll(0, SelectMode.SelectRead);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return false;
                }
            }
        }

        public static async Task<Connection> OpenAsync(string address, string host, int port, CancellationToken cancellationToken)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                socket.Dispose();
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                var reason = ex is OperationCanceledException ? $"no answer within {ConnectTimeout.TotalSeconds:0} s" : ex.Message;
                throw new RedisConnectionException(address, $"Could not connect to Redis at {address}: {reason}", ex);
            }

            var connection = new Connection(address, socket);
            // The reader loop lives as long as the connection, so it must not keep the first caller's
            // AsyncLocals (activities, test contexts) alive.
            using (ExecutionContext.SuppressFlow())
            {
                connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
            }

            return connection;
        }

        public async Task<RespValue> SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> args, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_pending)
                {
                    if (_failure is not null)
                    {
                        throw Failed(_failure);
                    }

                    // Enqueued before writing, under the write lock, so queue order is wire order.
                    _pending.Enqueue(reply);
                }

                try
                {
                    await WriteCommandAsync(args, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // A request cut off part way leaves the stream unreadable for the server, so the whole
                    // connection goes; the caller sees its cancellation, everyone else a connection error.
                    Fail(ex);
                    if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }

                    throw Failed(ex);
                }
            }
            finally
            {
                _writeLock.Release();
            }

            // Giving up on the reply does not take it off the queue: it still arrives in its turn and is dropped.
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            Fail(new ObjectDisposedException(nameof(RespClient), "The Redis client was disposed."));
            await _readLoop.ConfigureAwait(false);
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (true)
                {
                    var value = await _reader.ReadAsync().ConfigureAwait(false);
                    TaskCompletionSource<RespValue>? waiter;
                    lock (_pending)
                    {
                        _pending.TryDequeue(out waiter);
                    }

                    if (waiter is null)
                    {
                        throw new InvalidDataException("Redis sent a reply that no request was waiting for.");
                    }

                    waiter.TrySetResult(value);
                }
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        private void Fail(Exception cause)
        {
            TaskCompletionSource<RespValue>[] waiting;
            lock (_pending)
            {
                _failure ??= cause;
                waiting = _pending.ToArray();
                _pending.Clear();
            }

            foreach (var waiter in waiting)
            {
                // One exception object per caller: awaiting a shared one from many tasks tangles stack traces.
                waiter.TrySetException(Failed(cause));
            }

            // Closing the socket also ends the reader loop if it is not the one failing.
            _stream.Dispose();
        }

        private RedisConnectionException Failed(Exception cause)
        {
            var reason = cause switch
            {
                EndOfStreamException => "the server closed the connection",
                ObjectDisposedException => "the connection was closed",
                OperationCanceledException => "a request was cancelled part way through being sent",
                _ => cause.Message,
            };
            return new RedisConnectionException(_address, $"Lost the connection to Redis at {_address}: {reason}", cause);
        }

        private async ValueTask WriteCommandAsync(IReadOnlyList<ReadOnlyMemory<byte>> args, CancellationToken cancellationToken)
        {
            _written = 0;
            WriteHeader((byte)'*', args.Count);
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                WriteHeader((byte)'$', arg.Length);
                if (arg.Length >= DirectWriteThreshold)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    await _stream.WriteAsync(arg, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    WriteRaw(arg.Span);
                }

                WriteRaw("\r\n"u8);
            }

            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        private void WriteHeader(byte prefix, int length)
        {
            Span<byte> header = stackalloc byte[16];
            header[0] = prefix;
            Utf8Formatter.TryFormat(length, header[1..], out var digits);
            header[1 + digits] = (byte)'\r';
            header[2 + digits] = (byte)'\n';
            WriteRaw(header[..(3 + digits)]);
        }

        private void WriteRaw(ReadOnlySpan<byte> bytes)
        {
            if (_written + bytes.Length > _writeBuffer.Length)
            {
                Array.Resize(ref _writeBuffer, Math.Max(_writeBuffer.Length * 2, _written + bytes.Length));
            }

            bytes.CopyTo(_writeBuffer.AsSpan(_written));
            _written += bytes.Length;
        }

        private async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_written > 0)
            {
                await _stream.WriteAsync(_writeBuffer.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
                _written = 0;
            }
        }
    }

    /// <summary>Parses RESP2 replies from a stream through its own buffer.</summary>
    private sealed class RespReader(Stream stream)
    {
        // A status or error line longer than this means the stream is not RESP.
        private const int MaxLineLength = 1024 * 1024;

        private byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async ValueTask<RespValue> ReadAsync()
        {
            var (offset, length) = await ReadLineAsync().ConfigureAwait(false);
            var prefix = _buffer[offset];
            var body = new ReadOnlySpan<byte>(_buffer, offset + 1, length - 1);
            switch (prefix)
            {
                case (byte)'+':
                    return RespValue.Simple(Encoding.UTF8.GetString(body));
                case (byte)'-':
                    return RespValue.Error(Encoding.UTF8.GetString(body));
                case (byte)':':
                    return RespValue.FromInteger(ParseInteger(body));
                case (byte)'$':
                {
                    var size = ParseInteger(body);
                    if (size < 0)
                    {
                        return RespValue.FromBulk(null);
                    }

                    if (size > Array.MaxLength)
                    {
                        throw new InvalidDataException($"Redis sent a bulk string of {size} bytes, more than fits in an array.");
                    }

                    var bulk = new byte[size];
                    await ReadExactlyAsync(bulk).ConfigureAwait(false);
                    await ExpectLineEndAsync().ConfigureAwait(false);
                    return RespValue.FromBulk(bulk);
                }
                case (byte)'*':
                {
                    var count = ParseInteger(body);
                    if (count < 0)
                    {
                        return RespValue.FromArray(null);
                    }

                    // The count comes from the wire; do not let a bad one reserve gigabytes up front.
                    var items = new List<RespValue>((int)Math.Min(count, 1024));
                    for (long i = 0; i < count; i++)
                    {
                        items.Add(await ReadAsync().ConfigureAwait(false));
                    }

                    return RespValue.FromArray(items);
                }
                default:
                    throw new InvalidDataException($"Redis sent a reply starting with byte 0x{prefix:x2}, which is not RESP2.");
            }
        }

        private static long ParseInteger(ReadOnlySpan<byte> text)
        {
            if (!Utf8Parser.TryParse(text, out long value, out var consumed) || consumed != text.Length)
            {
                throw new InvalidDataException($"Redis sent '{Encoding.ASCII.GetString(text)}' where a number belongs.");
            }

            return value;
        }

        /// <summary>Returns where the next line (without its CRLF) sits in the buffer; valid until the next read.</summary>
        private async ValueTask<(int Offset, int Length)> ReadLineAsync()
        {
            var searched = 0;
            while (true)
            {
                var end = new ReadOnlySpan<byte>(_buffer, _start + searched, _end - _start - searched).IndexOf("\r\n"u8);
                if (end >= 0)
                {
                    var offset = _start;
                    var length = searched + end;
                    _start += length + 2;
                    if (length == 0)
                    {
                        throw new InvalidDataException("Redis sent an empty line where a reply belongs.");
                    }

                    return (offset, length);
                }

                // Resume just before the end so a CR at the edge still pairs with an LF yet to arrive.
                searched = Math.Max(0, _end - _start - 1);
                if (searched > MaxLineLength)
                {
                    throw new InvalidDataException($"Redis sent a line longer than {MaxLineLength} bytes.");
                }

                await FillAsync().ConfigureAwait(false);
            }
        }

        private async ValueTask ReadExactlyAsync(Memory<byte> destination)
        {
            var buffered = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, buffered).CopyTo(destination);
            _start += buffered;
            if (buffered < destination.Length)
            {
                // Large values go from the socket straight into their own array.
                await stream.ReadExactlyAsync(destination[buffered..]).ConfigureAwait(false);
            }
        }

        private async ValueTask ExpectLineEndAsync()
        {
            while (_end - _start < 2)
            {
                await FillAsync().ConfigureAwait(false);
            }

            if (_buffer[_start] != '\r' || _buffer[_start + 1] != '\n')
            {
                throw new InvalidDataException("Redis sent a bulk string not followed by CRLF.");
            }

            _start += 2;
        }

        private async ValueTask FillAsync()
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                var unread = _end - _start;
                if (_start == 0)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
                else
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
                    _start = 0;
                    _end = unread;
                }
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            _end += read;
        }
    }
}

/// <summary>The kinds of RESP2 reply.</summary>
internal enum RespType
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
}

/// <summary>
/// One RESP2 reply. <see cref="Text"/> carries simple strings and errors, <see cref="Integer"/> integers,
/// <see cref="Bulk"/> bulk strings (null for Redis's nil) and <see cref="Items"/> arrays (null for a nil array).
/// </summary>
internal sealed record RespValue(RespType Type, string? Text, long Integer, byte[]? Bulk, IReadOnlyList<RespValue>? Items)
{
    public bool IsNull => (Type == RespType.BulkString && Bulk is null) || (Type == RespType.Array && Items is null);

    public static RespValue Simple(string text) => new(RespType.SimpleString, text, 0, null, null);

    public static RespValue Error(string message) => new(RespType.Error, message, 0, null, null);

    public static RespValue FromInteger(long value) => new(RespType.Integer, null, value, null, null);

    public static RespValue FromBulk(byte[]? bytes) => new(RespType.BulkString, null, 0, bytes, null);

    public static RespValue FromArray(IReadOnlyList<RespValue>? items) => new(RespType.Array, null, 0, null, items);

    /// <summary>The reply as text: bulk strings decoded as UTF-8, integers in invariant digits; null for nil.</summary>
    public string? AsString() => Type switch
    {
        RespType.SimpleString or RespType.Error => Text,
        RespType.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        RespType.BulkString => Bulk is null ? null : Encoding.UTF8.GetString(Bulk),
        _ => throw new InvalidOperationException("An array reply has no single string value."),
    };
}

/// <summary>Redis answered a command with an error reply; <see cref="Exception.Message"/> is the server's text.</summary>
internal sealed class RedisException : Exception
{
    public RedisException(string message)
        : base(message)
    {
    }

    public RedisException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The connection to Redis could not be opened or was lost; calls after this one reconnect.</summary>
internal sealed class RedisConnectionException : IOException
{
    public RedisConnectionException(string address, string message, Exception? innerException)
        : base(message, innerException)
    {
        Address = address;
    }

    public string Address { get; }
}
