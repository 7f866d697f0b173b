namespace Granary.Silo;

/// <summary>
/// How one `granary run` command ended (<see cref="ShellCommandTask"/>'s value): its exit code, where it ran,
/// and whether --timeout killed it. Public members, so Granary's contractless serializer carries it. Immutable.
/// </summary>
/// <param name="Gpu">The GPU index on <paramref name="NodeId"/> it was given; -1 for none.</param>
internal sealed record ShellCommandResult(int ExitCode, string NodeId, int Gpu, bool TimedOut);
