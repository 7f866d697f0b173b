namespace Granary.Testing;

/// <summary>A finished command of <see cref="ProcessRun"/>: its exit code, each stream, and both in arrival order.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, string Output);
