using System.Globalization;
using Granary.Runtime.Wire;
using Orleans.Metadata;

namespace Granary;

/// <summary>
/// Run on one named node. Hard (the default) waits for that node and fails when it is gone; soft falls
/// back to the other nodes when that one cannot host the work.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class NodeAffinityPlacement : PlacementStrategy
{
    internal const string NodeIdKey = "granary.placement.node-id";
    internal const string SoftKey = "granary.placement.soft";

    public NodeAffinityPlacement(string nodeId, bool soft = false)
    {
        NodeId = string.IsNullOrWhiteSpace(nodeId) ? throw new ArgumentException("NodeAffinityPlacement needs a node id; list them with GetNodesAsync().", nameof(nodeId)) : nodeId;
        Soft = soft;
    }

    // Orleans builds a blank one per grain type and fills it from the grain type's properties.
    internal NodeAffinityPlacement() => NodeId = string.Empty;

    [Id(0)]
    public string NodeId { get; private set; }

    [Id(1)]
    public bool Soft { get; private set; }

    public override void Initialize(GrainProperties properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        NodeId = Required(properties, NodeIdKey);
        Soft = bool.Parse(Required(properties, SoftKey));
    }

    public override void PopulateGrainProperties(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        base.PopulateGrainProperties(services, grainClass, grainType, properties);
        properties[NodeIdKey] = NodeId;
        properties[SoftKey] = Soft.ToString(CultureInfo.InvariantCulture);
    }

    internal override Placement ToWire() => new() { Kind = PlacementKind.NodeAffinity, NodeId = NodeId, Soft = Soft };
}
