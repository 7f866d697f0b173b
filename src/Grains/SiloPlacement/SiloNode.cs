using Granary.Grains.Head.Placement;
using Granary.Grains.Hosting;
using Orleans.Runtime;

namespace Granary.Grains.SiloPlacement;

/// <summary>
/// One silo as Granary's Orleans directors see it: its published resources, and how many activations this
/// silo's directors have placed there. Orleans keeps its own load figures internal, so busy means
/// "placed here by us"; the count only grows, which is what packing (fill the busiest) and spreading
/// (even out) need. Not thread-safe: <see cref="GranaryPlacementDirector"/> uses it under its lock.
/// </summary>
internal sealed class SiloNode(SiloAddress silo, SiloResourceMetadata resources) : IPlacementNode
{
    public SiloAddress Silo { get; } = silo;

    public SiloResourceMetadata Resources { get; } = resources;

    public string NodeId => Resources.NodeId;

    public bool IsHead => Resources.IsHead;

    // A silo's generation is its start time, so it orders silos by when they joined.
    public long Order => Silo.Generation;

    public int Placed { get; set; }

    // Kept below 1 so the head's handicap in packing (10) still puts it last.
    public double Utilization => Placed / (Placed + 1.0);

    public long SpreadTurn { get; set; }

    public bool HasGpuType(string type) => Resources.HasGpuType(type);
}
