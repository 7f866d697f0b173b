using Orleans;

namespace Granary.TestGrains.Placement;

/// <summary>A user grain that says where Orleans placed it; one class per placement strategy implements it.</summary>
public interface IPlacedGrain : IGrainWithStringKey
{
    /// <summary>The node id (the silo's Orleans name) this activation runs on.</summary>
    Task<string> Node();

    /// <summary>Activates a prefer-local grain from this grain's silo and returns where it landed.</summary>
    Task<string> NodeOfPreferLocalGrain(string key);
}
