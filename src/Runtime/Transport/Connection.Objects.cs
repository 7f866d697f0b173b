using System.Buffers;

namespace Granary.Runtime.Transport;

/// <summary>
/// The connection's part in moving large objects: its table of object streams, and the read loop's shortcut
/// for their frames. Kept apart from the message path in Connection.cs; that file only calls
/// <see cref="TryHandleObjectFrame"/> before parsing a frame.
/// </summary>
internal sealed partial class Connection
{
    private ObjectStreams? _streams;

    /// <summary>Large values moving over this connection in chunks, both ways.</summary>
    public ObjectStreams Streams
    {
        get
        {
            if (Volatile.Read(ref _streams) is { } streams)
            {
                return streams;
            }

            var created = new ObjectStreams(this, _options);
            if (Interlocked.CompareExchange(ref _streams, created, null) is { } raced)
            {
                return raced;
            }

            // Made once per connection that moves objects: when it closes, every stream fails with the reason.
            _ = _closed.Task.ContinueWith(static (closed, state) => ((ObjectStreams)state!).Abort(closed.Result), created, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return created;
        }
    }

    /// <summary>
    /// Takes object chunk and ack frames on the read loop, before the generic parse: a chunk's data is copied
    /// from the socket buffer straight into its destination, and acks never reach the message handler. In
    /// arrival order with every other frame, so a stream's end (a reply, a commit) is dispatched after its
    /// last chunk has landed. False for any other frame.
    /// </summary>
    private bool TryHandleObjectFrame(in ReadOnlySequence<byte> payload)
    {
        if (!ObjectFrames.IsObjectFrame(payload))
        {
            return false;
        }

        if (ObjectFrames.TryReadChunk(payload, out var id, out var offset, out var data))
        {
            Streams.OnChunk(id, offset, data);
            return true;
        }

        // A header, an abort, an ack, or a shape the shortcut does not read: the generic parser gives the same message.
        var envelope = Parse(payload);
        if (envelope is null)
        {
            return false;
        }

        if (!Streams.OnMessage(envelope))
        {
            Dispatch(envelope);
        }

        return true;
    }
}
