using Granary.Runtime.Scheduling;

namespace Granary.Runtime.Tests;

public sealed class ResourceSetTests
{
    [Fact]
    public void Fractional_gpus_add_up_exactly()
    {
        var node = new ResourceSet([new("GPU", 1.0)]);
        var half = new ResourceSet([new("GPU", 0.5)]);
        node.Subtract(half);
        Assert.True(node.Fits(half));
        node.Subtract(half);
        Assert.False(node.Fits(half));
        Assert.Equal("GPU", node.FirstShortage(half));
        node.Add(half);
        node.Add(half);
        Assert.Equal(1.0, node["GPU"]);
    }

    [Fact]
    public void Missing_resources_count_as_zero()
    {
        var node = new ResourceSet([new("CPU", 4)]);
        Assert.Equal("slot", node.FirstShortage(new ResourceSet([new("slot", 1)])));
        Assert.True(node.Fits(new ResourceSet()));
    }

    [Fact]
    public void Utilization_reflects_what_is_taken()
    {
        var total = new ResourceSet([new("CPU", 4)]);
        var available = total.Clone();
        Assert.Equal(0, available.Utilization(total));
        available.Subtract(new ResourceSet([new("CPU", 2)]));
        Assert.Equal(0.5, available.Utilization(total), 3);
    }
}
