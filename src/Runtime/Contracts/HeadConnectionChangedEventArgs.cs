namespace Granary;

/// <summary>
/// The client lost or regained the head (<see cref="GranaryClient.HeadConnectionChanged"/>). While the head is
/// unreachable, work already on nodes carries on; new leases, actor creation and lookups wait for it.
/// </summary>
public sealed class HeadConnectionChangedEventArgs(bool reachable, string headAddress, Exception? error, TimeSpan unreachableFor) : EventArgs
{
    /// <summary>True when the head answers again; false when it stopped answering.</summary>
    public bool Reachable { get; } = reachable;

    public string HeadAddress { get; } = headAddress;

    /// <summary>Why the head was found unreachable; null when it is reachable again.</summary>
    public Exception? Error { get; } = error;

    /// <summary>How long the head had been unreachable, when it is reachable again; zero when it was just lost.</summary>
    public TimeSpan UnreachableFor { get; } = unreachableFor;
}
