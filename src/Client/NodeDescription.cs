namespace Granary;

/// <summary>A node of the cluster as the head sees it.</summary>
public sealed record NodeDescription(string NodeId, string Address, bool IsHead, bool Alive, IReadOnlyDictionary<string, double> Total, IReadOnlyDictionary<string, double> Available);
