namespace Granary.Benchmarks;

/// <summary>One benchmark row: its Ray name, unit, the floor it is compared with, and one timed round.</summary>
internal sealed record Row(string Name, string Unit, string? Floor, Func<Task<double>> Round);
