namespace Granary.Runtime.Launch;

/// <summary>
/// How one rank of a launch talks to the others: gatherings at the head (rendezvous, barriers, small values,
/// the completion marker) and ring pieces straight to the next rank's node. One per rank; thread-safe.
/// </summary>
internal interface ILaunchChannel
{
    /// <summary>Every rank's payload for <paramref name="key"/>, in rank order, once all ranks gave theirs.</summary>
    Task<IReadOnlyList<byte[]>> GatherAsync(string key, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Sends step <paramref name="step"/> of collective <paramref name="sequence"/> to <paramref name="toRank"/>.</summary>
    Task SendAsync(int toRank, int sequence, int step, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>This rank's data for that step, sent by the rank before it in the ring.</summary>
    Task<ReceivedBytes> ReceiveAsync(int sequence, int step, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Writes the launch's completion marker (Ray-launch's rank 0).</summary>
    Task CompleteAsync(bool succeeded, string error, CancellationToken cancellationToken);

    /// <summary>Waits for the completion marker: whether rank 0 succeeded, and its error when it did not.</summary>
    Task<(bool Succeeded, string Error)> AwaitCompletionAsync(CancellationToken cancellationToken);
}
