namespace Granary.Benchmarks;

/// <summary>
/// One benchmark row: its Ray name, unit, the floor it is compared with, the engine-floor row it is
/// compared with (sync rows: the raw Orleans call on the same silos), and one timed round.
/// </summary>
internal sealed record Row(string Name, string Unit, string? Floor, Func<Task<double>> Round, string? EngineFloor = null);
