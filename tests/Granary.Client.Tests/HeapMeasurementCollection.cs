namespace Granary.Client.Tests;

/// <summary>
/// Tests that measure this process's heap run alone: other test classes run in parallel in the same
/// process, and their allocations would show up as growth the measured code never caused.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "heap measurement";
}
