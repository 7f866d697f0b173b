namespace Granary.Silo;

/// <summary>
/// One row of Orleans' membership table as `granary status` shows it: the silo's Orleans name (a Granary node id),
/// its silo address (<c>S127.0.0.1:41235:155136792</c>: the silo port and the generation) and Orleans' status of it
/// (<c>Active</c>, <c>Joining</c>, <c>ShuttingDown</c>, <c>Stopping</c>, <c>Dead</c>, ...). Orleans' view and the
/// head's can differ for a moment: the head follows membership updates, so a silo Orleans declared dead is dead
/// on the head's side shortly after.
/// </summary>
public sealed record OrleansSilo(string Name, string SiloAddress, string Status, int Generation);
