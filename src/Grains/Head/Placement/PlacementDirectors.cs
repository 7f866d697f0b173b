using Granary.Runtime.Wire;

namespace Granary.Grains.Head.Placement;

/// <summary>The directors registered by strategy kind. Not thread-safe (Spread keeps a turn counter): used under the scheduler's lock.</summary>
internal sealed class PlacementDirectors
{
    private readonly Dictionary<PlacementKind, IPlacementDirector> _directors = new()
    {
        [PlacementKind.Pack] = new PackPlacementDirector(),
        [PlacementKind.Spread] = new SpreadPlacementDirector(),
        [PlacementKind.NodeAffinity] = new NodeAffinityPlacementDirector(),
        [PlacementKind.GpuType] = new GpuTypePlacementDirector(),
        [PlacementKind.PreferLocal] = new PreferLocalPlacementDirector(),
    };

    public IPlacementDirector For(PlacementKind kind) =>
        _directors.TryGetValue(kind, out var director) ? director : throw new GranaryException($"Placement kind {kind} has no director on this head; upgrade the head.");
}
