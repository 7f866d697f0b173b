namespace Granary.Runtime.Transport;

/// <summary>A peer declared a frame longer than this side accepts (or a negative length).</summary>
internal sealed class FrameTooLargeException : Exception
{
    public FrameTooLargeException(int length, int limit)
        : base($"frame of {length} bytes is outside the limit of {limit} bytes (TransportOptions.MaxFrameBytes)")
    {
    }
}
