namespace Granary.Silo;

/// <summary>What `granary start` leaves behind about a running silo.</summary>
internal sealed record RunRecord(int Pid, string NodeId, string Address, bool IsHead, DateTimeOffset StartedAt);
