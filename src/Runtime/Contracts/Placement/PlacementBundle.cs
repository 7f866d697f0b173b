namespace Granary;

/// <summary>Where a reserved bundle landed, and what it holds.</summary>
public sealed record PlacementBundle(int Index, string NodeId, IReadOnlyDictionary<string, double> Resources, IReadOnlyList<int> GpuIds);
