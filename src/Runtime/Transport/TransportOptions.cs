namespace Granary.Runtime.Transport;

/// <summary>Limits that protect a process from its peers. Every default has its reason beside it.</summary>
internal sealed class TransportOptions
{
    /// <summary>Largest frame accepted: 256 MiB fits any inline value and a large object in one piece, yet stops a garbage length from allocating gigabytes.</summary>
    public int MaxFrameBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Bytes buffered before the writer flushes mid-batch, so one huge batch does not sit in memory.</summary>
    public int FlushThresholdBytes { get; init; } = 1024 * 1024;

    public static TransportOptions Default { get; } = new();
}
