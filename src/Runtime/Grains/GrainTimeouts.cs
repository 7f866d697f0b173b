namespace Granary.Runtime.Grains;

/// <summary>Response timeouts of Granary's grain calls that may rightly take long.</summary>
internal static class GrainTimeouts
{
    /// <summary>
    /// For calls whose length is the user's: a task or actor call runs as long as its method does, and a
    /// lease waits as long as the resources are busy. Orleans' 30 s default would fail them. A node that
    /// dies does not leave them hanging: Granary cancels calls in flight there when membership declares it
    /// dead. 24 days stays below the largest timer period .NET accepts.
    /// </summary>
    public const string Unbounded = "24.00:00:00";
}
