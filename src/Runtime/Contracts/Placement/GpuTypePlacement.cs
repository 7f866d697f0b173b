using Granary.Runtime.Wire;

namespace Granary;

/// <summary>Run only on nodes whose GPUs are of this type (e.g. "H100"); matching ignores case and finds the type inside longer device names.</summary>
public sealed class GpuTypePlacement(string gpuType) : PlacementStrategy
{
    public string GpuType { get; } = string.IsNullOrWhiteSpace(gpuType) ? throw new ArgumentException("GpuTypePlacement needs a GPU type such as \"H100\".", nameof(gpuType)) : gpuType;

    internal override Placement ToWire() => new() { Kind = PlacementKind.GpuType, GpuType = GpuType };
}
