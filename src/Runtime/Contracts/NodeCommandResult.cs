namespace Granary;

/// <summary>
/// How a shell command ended on one node (<c>GranaryClient.RunOnEveryNodeAsync</c>, Runhouse's
/// <c>cluster.run</c>): the node, the command's exit code, what it wrote, and whether its timeout killed it.
/// Output past 1 MiB a stream is cut, and the text says so. Public members, so Granary's contractless
/// serializer carries it. Immutable.
/// </summary>
/// <param name="ExitCode">The exit code; 124 when the timeout killed it (as coreutils' timeout does).</param>
public sealed record NodeCommandResult(string NodeId, int ExitCode, string Output, string Errors, bool TimedOut);
