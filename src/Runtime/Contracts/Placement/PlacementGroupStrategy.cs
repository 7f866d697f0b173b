namespace Granary;

/// <summary>How a placement group's bundles are laid over nodes (Ray's placement group strategies).</summary>
public enum PlacementGroupStrategy
{
    /// <summary>As few nodes as possible; bundles may go to several nodes when one cannot hold them all.</summary>
    Pack,

    /// <summary>As many nodes as possible; bundles may share a node when there are too few.</summary>
    Spread,

    /// <summary>All bundles on one node, or not at all.</summary>
    StrictPack,

    /// <summary>Every bundle on a different node, or not at all.</summary>
    StrictSpread,
}
