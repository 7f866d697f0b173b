namespace Granary.Runtime.Transport;

/// <summary>Limits that protect a process from its peers. Every default has its reason beside it.</summary>
internal sealed class TransportOptions
{
    /// <summary>Bytes of an object chunk's envelope other than its data (stream id, offset, tags, lengths), with room to spare.</summary>
    public const int ChunkOverheadBytes = 64;

    /// <summary>Largest frame accepted: 256 MiB fits any inline value, yet stops a garbage length from allocating gigabytes. Large objects travel in chunks, so it does not bound them.</summary>
    public int MaxFrameBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Bytes buffered before the writer flushes mid-batch, so one huge batch does not sit in memory.</summary>
    public int FlushThresholdBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest piece of a large object per frame: 1 MiB makes per-frame costs (an envelope, an ack) vanish
    /// next to the copy, yet a small call queued behind a stream waits for a few such frames, not the object.
    /// </summary>
    public int ObjectChunkBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Bytes of one object stream queued ahead of the connection's write loop: a few chunks, so the writer
    /// never waits for the sender to queue the next, yet other calls on the connection never queue behind
    /// more than this (a few milliseconds) per stream.
    /// </summary>
    public int ObjectWindowBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The chunk size this side sends and accepts: <see cref="ObjectChunkBytes"/>, and always within its own frame limit.</summary>
    public int ChunkBytes => Math.Max(1, Math.Min(ObjectChunkBytes, MaxFrameBytes - ChunkOverheadBytes));

    public static TransportOptions Default { get; } = new();
}
