using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Granary.Runtime.Launch;

/// <summary>
/// A rank's direct TCP links for ring collectives: a listener the rank before it connects to, and one
/// connection to the rank after it, opened on first send. Each frame is a 16-byte header (collective
/// number, step, length) and the bytes; a reader loop files arriving frames by (collective, step) for
/// <see cref="ReceiveAsync"/>. Closed when the rank's task ends. Thread-safe.
/// </summary>
internal sealed class RankLink : IDisposable
{
    private readonly TcpListener _listener;
    private readonly ConcurrentDictionary<(int Sequence, int Step), TaskCompletionSource<ReceivedBytes>> _arrived = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly List<Socket> _inbound = [];
    private Socket? _outbound;
    private Exception? _broken;

    public RankLink()
    {
        _listener = new TcpListener(IPAddress.Any, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The next rank's host and port, from the rendezvous.</summary>
    public (string Host, int Port) Next { get; set; }

    public async Task SendAsync(int sequence, int step, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outbound is null)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(Next.Host, Next.Port, cancellationToken).ConfigureAwait(false);
                _outbound = socket;
            }

            var header = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(header, sequence);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), step);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), data.Length);
            await _outbound.SendAsync(header, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            while (data.Length > 0)
            {
                var sent = await _outbound.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    public async Task<ReceivedBytes> ReceiveAsync(int sequence, int step, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_broken is { } broken)
        {
            throw new IOException(broken.Message, broken);
        }

        var slot = _arrived.GetOrAdd((sequence, step), static _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            return await slot.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RendezvousTimeoutException(
                $"This rank waited {timeout.TotalSeconds:0.###} s for step {step} of collective {sequence} from the rank before it in the ring. " +
                "A rank stopped calling collectives, or called them in another order; raise DistributedOptions.CollectiveTimeout if a rank works that long between them.");
        }
        finally
        {
            _arrived.TryRemove((sequence, step), out _);
        }
    }

    public void Dispose()
    {
        _closed.Cancel();
        _listener.Stop();
        _outbound?.Dispose();
        lock (_inbound)
        {
            foreach (var socket in _inbound)
            {
                socket.Dispose();
            }
        }

        Fail(new ObjectDisposedException(nameof(RankLink), "The rank's collectives ended."));
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_closed.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                lock (_inbound)
                {
                    _inbound.Add(socket);
                }

                _ = ReadAsync(socket);
            }
        }
        catch (Exception) when (_closed.IsCancellationRequested)
        {
            // Closed with the rank.
        }
        catch (SocketException ex)
        {
            Fail(ex);
        }
    }

    private async Task ReadAsync(Socket socket)
    {
        var header = new byte[16];
        try
        {
            while (await FillAsync(socket, header).ConfigureAwait(false))
            {
                var sequence = BinaryPrimitives.ReadInt32LittleEndian(header);
                var step = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
                var length = checked((int)BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)));
                // Pooled: a fresh array per step costs page faults on every step of a large collective.
                var data = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                if (!await FillAsync(socket, data.AsMemory(0, length)).ConfigureAwait(false))
                {
                    throw new IOException($"The link from the previous rank closed in the middle of step {step} of collective {sequence}.");
                }

                var slot = _arrived.GetOrAdd((sequence, step), static _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
                if (!slot.TrySetResult(new ReceivedBytes(data, length, pooled: true)))
                {
                    ArrayPool<byte>.Shared.Return(data);
                }
            }
        }
        catch (Exception ex) when (!_closed.IsCancellationRequested)
        {
            Fail(new IOException($"The link from the previous rank broke: {ex.Message}", ex));
        }
        catch (Exception)
        {
            // Closed with the rank.
        }
    }

    private async Task<bool> FillAsync(Socket socket, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _closed.Token).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    // A broken link fails what waits now; later receives wait out their own timeout (the peer is gone).
    private void Fail(Exception error)
    {
        _broken ??= error;
        foreach (var slot in _arrived.Values)
        {
            slot.TrySetException(_broken);
        }
    }
}
