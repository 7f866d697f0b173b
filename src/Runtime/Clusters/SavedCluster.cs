namespace Granary.Runtime.Clusters;

/// <summary>A cluster saved under a name (`granary connect NAME --address ...`): where its head is.</summary>
internal sealed record SavedCluster(string Name, string Address, DateTimeOffset SavedAt);
