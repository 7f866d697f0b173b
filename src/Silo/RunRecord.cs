namespace Granary.Silo;

/// <summary>
/// What `granary start` leaves behind about a running silo. <see cref="Cluster"/> is the address of the
/// cluster's head (the head's own address, or a worker's --address), so `granary stop` and `granary
/// status` can tell side-by-side clusters apart; null in run files of silos started before it was recorded.
/// </summary>
internal sealed record RunRecord(int Pid, string NodeId, string Address, bool IsHead, DateTimeOffset StartedAt, string? Cluster = null);
