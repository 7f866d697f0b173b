using Granary.Runtime.Wire;
using Orleans.Metadata;

namespace Granary;

/// <summary>Run only on nodes whose GPUs are of this type (e.g. "H100"); matching ignores case and finds the type inside longer device names.</summary>
[GenerateSerializer, Immutable]
public sealed class GpuTypePlacement : PlacementStrategy
{
    internal const string GpuTypeKey = "granary.placement.gpu-type";

    public GpuTypePlacement(string gpuType) =>
        GpuType = string.IsNullOrWhiteSpace(gpuType) ? throw new ArgumentException("GpuTypePlacement needs a GPU type such as \"H100\".", nameof(gpuType)) : gpuType;

    // Orleans builds a blank one per grain type and fills it from the grain type's properties.
    internal GpuTypePlacement() => GpuType = string.Empty;

    [Id(0)]
    public string GpuType { get; private set; }

    public override void Initialize(GrainProperties properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        GpuType = Required(properties, GpuTypeKey);
    }

    public override void PopulateGrainProperties(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        base.PopulateGrainProperties(services, grainClass, grainType, properties);
        properties[GpuTypeKey] = GpuType;
    }

    internal override Placement ToWire() => new() { Kind = PlacementKind.GpuType, GpuType = GpuType };
}
