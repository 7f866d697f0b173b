using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Google.Protobuf;
using Granary.Runtime.Serialization;
using Granary.Runtime.Wire;
using Microsoft.Extensions.Logging;

namespace Granary.Runtime.Transport;

/// <summary>
/// One multiplexed, full-duplex link to a peer. Many calls share it, matched by call id. Sends go into a
/// queue that one thread at a time drains into the pipe: the sender itself when nobody is writing (no
/// thread hop for a lone call), otherwise whoever is already writing, so a burst is written as one batch
/// and flushed once. A frame that is too large, truncated or not a valid Envelope closes this connection
/// only, with a logged reason. Thread-safe.
/// </summary>
internal sealed partial class Connection
{
    private readonly IDuplexPipe _pipe;
    private readonly IMessageHandler _handler;
    private readonly ILogger _logger;
    private readonly TransportOptions _options;
    private readonly ConcurrentQueue<Envelope> _outbox = new();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Envelope>> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _nextCallId;

    // 1 while one thread owns the pipe writer (draining the outbox, or completing it after close).
    private int _writing;

    // Traffic in flight both ways: calls sent and not yet answered, requests received and not yet answered.
    // While either is above the message at hand, more messages are coming, so writes are batched.
    private int _outstandingCalls;
    private int _openRequests;

    public Connection(IDuplexPipe pipe, string peer, IMessageHandler handler, ILogger logger, TransportOptions? options = null)
    {
        _pipe = pipe;
        Peer = peer;
        _handler = handler;
        _logger = logger;
        _options = options ?? TransportOptions.Default;
    }

    /// <summary>Who is at the other end, for logs; replaced by the peer's id once it says hello.</summary>
    public string Peer { get; set; }

    /// <summary>What the owner of this connection learned about the peer (e.g. its hello).</summary>
    public object? State { get; set; }

    /// <summary>Completes with the reason once the connection has closed.</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Runs the read and write loops until the connection closes.</summary>
    public async Task RunAsync()
    {
        var reason = await ReadLoopAsync().ConfigureAwait(false);
        Close(reason);
        await _outputDone.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a call; the task completes with the reply. With <paramref name="inlineReply"/> the task's
    /// continuations may run on the connection's read thread: only for internal continuations that never
    /// block (they hand the result on), which saves a thread hop per call. User code must never run there.
    /// </summary>
    public Task<Envelope> CallAsync(Envelope request, CancellationToken cancellationToken = default, bool inlineReply = false)
    {
        var id = Interlocked.Increment(ref _nextCallId);
        request.CallId = id;
        var completion = new TaskCompletionSource<Envelope>(inlineReply ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        Interlocked.Increment(ref _outstandingCalls);
        if (IsClosed)
        {
            TryTakePending(id, out _);
            return Task.FromException<Envelope>(new ConnectionClosedException(Peer, _closed.Task.Result));
        }

        Enqueue(request);

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                if (TryTakePending(id, out var pending))
                {
                    pending.TrySetCanceled(cancellationToken);
                }
            });
            completion.Task.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration, TaskScheduler.Default);
        }

        return completion.Task;
    }

    /// <summary>Sends a call and returns the reply, turning an error reply into its typed exception.</summary>
    public async Task<Envelope> RequestAsync(Envelope request, CancellationToken cancellationToken = default)
    {
        return ErrorConverter.Unwrap(await CallAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends a one-way message; silently dropped when the connection has closed.</summary>
    public void Send(Envelope message)
    {
        message.CallId = 0;
        if (!IsClosed)
        {
            Enqueue(message);
        }
    }

    public void Close(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        LogClosed(Peer, reason);

        // Whoever owns the writer completes it; if a sender is mid-write, it does so when it lets go.
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = CompleteOutputAsync();
        }
        foreach (var id in _pending.Keys)
        {
            if (TryTakePending(id, out var call))
            {
                call.TrySetException(new ConnectionClosedException(Peer, reason));
            }
        }

        // Cancelling the pending read wakes the read loop so it ends.
        _pipe.Input.CancelPendingRead();
        try
        {
            _handler.OnClosed(this, reason);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(Peer, ex);
        }
    }

    private async Task<string> ReadLoopAsync()
    {
        var input = _pipe.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (result.IsCanceled || IsClosed)
                    {
                        return "closed locally";
                    }

                    while (FrameCodec.TryRead(ref buffer, _options.MaxFrameBytes, out var payload))
                    {
                        if (TryHandleObjectFrame(payload))
                        {
                            // An object chunk or ack (Connection.Objects.cs).
                            continue;
                        }

                        var envelope = Parse(payload);
                        if (envelope is null)
                        {
                            return $"malformed frame: {payload.Length} bytes that are not a Granary Envelope";
                        }

                        Dispatch(envelope);
                    }

                    if (result.IsCompleted)
                    {
                        return buffer.Length == 0
                            ? "peer closed the connection"
                            : $"truncated frame: the peer closed the connection {buffer.Length} bytes into an unfinished frame";
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (FrameTooLargeException ex)
        {
            return "oversized frame: " + ex.Message;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return "transport error: " + ex.Message;
        }
        catch (Exception ex)
        {
            return "read failed: " + ex;
        }
        finally
        {
            await CompleteQuietlyAsync(() => input.CompleteAsync()).ConfigureAwait(false);
        }
    }

    /// <summary>Completing one side of a socket pipe may find the stream already disposed by the other side; that is fine.</summary>
    private static async Task CompleteQuietlyAsync(Func<ValueTask> complete)
    {
        try
        {
            await complete().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException or InvalidOperationException)
        {
        }
    }

    private static Envelope? Parse(ReadOnlySequence<byte> payload)
    {
        try
        {
            var envelope = Envelope.Parser.ParseFrom(payload);
            return envelope.BodyCase == Envelope.BodyOneofCase.None ? null : envelope;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private void Dispatch(Envelope envelope)
    {
        if (envelope.IsReply)
        {
            if (TryTakePending(envelope.CallId, out var call))
            {
                call.TrySetResult(envelope);
            }

            return;
        }

        // Read before the handler runs: a handler may forward the same message object elsewhere.
        var callId = envelope.CallId;
        if (callId != 0)
        {
            Interlocked.Increment(ref _openRequests);
        }
        ValueTask<Envelope?> handled;
        try
        {
            handled = _handler.HandleAsync(this, envelope);
        }
        catch (Exception ex)
        {
            handled = ValueTask.FromException<Envelope?>(ex);
        }

        if (callId == 0)
        {
            if (!handled.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(handled);
            }

            return;
        }

        if (handled.IsCompletedSuccessfully)
        {
            SendReply(callId, handled.Result);
        }
        else
        {
            _ = ReplyWhenDoneAsync(callId, handled);
        }
    }

    private async Task ReplyWhenDoneAsync(ulong callId, ValueTask<Envelope?> handled)
    {
        Envelope? reply;
        try
        {
            reply = await handled.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            reply = new Envelope { Error = ErrorConverter.FromException(ex, string.Empty, "request") };
        }

        SendReply(callId, reply);
    }

    private async Task ObserveAsync(ValueTask<Envelope?> handled)
    {
        try
        {
            await handled.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(Peer, ex);
        }
    }

    private void SendReply(ulong callId, Envelope? reply)
    {
        reply ??= new Envelope { Ok = new Empty() };
        reply.CallId = callId;
        reply.IsReply = true;
        Interlocked.Decrement(ref _openRequests);
        if (!IsClosed)
        {
            Enqueue(reply);
        }
    }

    private bool TryTakePending(ulong id, out TaskCompletionSource<Envelope> call)
    {
        if (_pending.TryRemove(id, out call!))
        {
            Interlocked.Decrement(ref _outstandingCalls);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Queues a message and gets it written. A lone message (nothing else in flight on this connection: a
    /// synchronous call, its reply) is written and flushed on this thread, so it costs no thread hop. When
    /// other calls or requests are in flight, a burst is under way: the write goes to a pool thread, and
    /// every message queued meanwhile joins the same write, one syscall for many messages.
    /// </summary>
    private void Enqueue(Envelope message)
    {
        _outbox.Enqueue(message);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            return;
        }

        var lone = Volatile.Read(ref _openRequests) == 0 && Volatile.Read(ref _outstandingCalls) <= (message.IsReply || message.CallId == 0 ? 0 : 1);
        if (lone)
        {
            StartDrain();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.StartDrain(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Writes everything queued, flushing once per batch (or per threshold). Runs on the sender's thread
    /// until a flush has to wait for the socket; the caller owns <see cref="_writing"/> on entry.
    /// </summary>
    private async ValueTask DrainAsync()
    {
        var output = _pipe.Output;
        try
        {
            while (true)
            {
                long unflushed = 0;
                var wrote = false;
                while (!IsClosed && _outbox.TryDequeue(out var envelope))
                {
                    var size = envelope.CalculateSize();
                    if (size > _options.MaxFrameBytes)
                    {
                        RefuseOversized(envelope, size);
                        continue;
                    }

                    FrameCodec.Write(output, envelope, size);
                    wrote = true;
                    OnWritten(envelope);
                    unflushed += size + FrameCodec.HeaderSize;
                    if (unflushed >= _options.FlushThresholdBytes)
                    {
                        unflushed = 0;
                        if ((await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
                        {
                            Close("peer stopped reading");
                        }
                    }
                }

                if (wrote && !IsClosed && (await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    Close("peer stopped reading");
                }

                // Let go, then look again: a sender that queued after our last dequeue saw us still writing.
                Volatile.Write(ref _writing, 0);
                if (IsClosed)
                {
                    if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
                    {
                        await CompleteOutputAsync().ConfigureAwait(false);
                    }

                    return;
                }

                if (_outbox.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // We still own the writer: close, then complete it here (Close cannot take it from us).
            Close("write failed: " + ex.Message);
            await CompleteOutputAsync().ConfigureAwait(false);
        }
    }

    private void StartDrain()
    {
        var draining = DrainAsync();
        if (!draining.IsCompletedSuccessfully)
        {
            _ = draining.AsTask();
        }
    }

    /// <summary>Called once, by whoever owns the writer after the connection closed; it keeps ownership forever.</summary>
    private async Task CompleteOutputAsync()
    {
        _outbox.Clear();
        await CompleteQuietlyAsync(() => _pipe.Output.CompleteAsync()).ConfigureAwait(false);
        _outputDone.TrySetResult();
    }

    /// <summary>
    /// A message over the frame limit would make the peer drop the whole connection; fail just that call
    /// (or answer the request with an error) and keep the connection.
    /// </summary>
    private void RefuseOversized(Envelope envelope, int size)
    {
        var reason = $"a {envelope.BodyCase} message of {size} bytes is over the {_options.MaxFrameBytes}-byte frame limit (TransportOptions.MaxFrameBytes); send large values as objects in pieces, or raise the limit on both sides";
        LogOversized(Peer, reason);
        if (envelope.IsReply)
        {
            SendReply(envelope.CallId, new Envelope { Error = ErrorConverter.System(reason, string.Empty) });
        }
        else if (envelope.CallId != 0 && TryTakePending(envelope.CallId, out var call))
        {
            call.TrySetException(new GranaryException(reason));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not sending to {Peer}: {Reason}")]
    private partial void LogOversized(string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to {Peer} closed: {Reason}")]
    private partial void LogClosed(string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handler for a message from {Peer} failed")]
    private partial void LogHandlerFailed(string peer, Exception exception);
}
