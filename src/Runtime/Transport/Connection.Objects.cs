using System.Buffers;
using Granary.Runtime.Wire;

namespace Granary.Runtime.Transport;

/// <summary>
/// The connection's part in moving large objects: its table of object streams, the read loop's shortcut for
/// their frames, and the write loop's report of chunks written. Kept apart from the message path in
/// Connection.cs; that file only calls <see cref="TryHandleObjectFrame"/> before parsing a frame and
/// <see cref="OnWritten"/> after writing one.
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
    /// Takes object chunk and abort frames on the read loop, before the generic parse: a chunk's data is copied
    /// from the socket buffer straight into its destination, and neither reaches the message handler. In
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

        // A header, an abort, or a shape the shortcut does not read: the generic parser gives the same message.
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

    /// <summary>A chunk is in the socket pipe: its sender may queue the next one (its window is local).</summary>
    private void OnWritten(Envelope envelope)
    {
        if (envelope.BodyCase == Envelope.BodyOneofCase.ObjectChunk && Volatile.Read(ref _streams) is { } streams)
        {
            streams.OnWritten(envelope.ObjectChunk);
        }
    }
}
