namespace Granary;

/// <summary>Resources a task or actor asks for; the scheduler only places it where they are free.</summary>
public abstract class ResourceOptions
{
    /// <summary>CPUs to reserve. Tasks default to 1, actors to 0 (as in Ray).</summary>
    public double? Cpus { get; set; }

    /// <summary>GPUs to reserve; fractions (0.5) share a device.</summary>
    public double Gpus { get; set; }

    /// <summary>Bytes of memory to reserve.</summary>
    public long MemoryBytes { get; set; }

    /// <summary>Custom resources by name, as a silo advertises them (e.g. "accelerator_slot" = 1).</summary>
    public IDictionary<string, double> Resources { get; set; } = new Dictionary<string, double>();

    /// <summary>Where to run; null uses the method's or class's placement attribute, else packing.</summary>
    public PlacementStrategy? Placement { get; set; }

    /// <summary>Run inside this placement group's reserved resources.</summary>
    public PlacementGroup? PlacementGroup { get; set; }

    /// <summary>Which bundle of <see cref="PlacementGroup"/>; null lets the scheduler pick any bundle with room.</summary>
    public int? BundleIndex { get; set; }

    /// <summary>
    /// Gives <paramref name="target"/> every setting of this class (resources and placement), so an options
    /// object made from another (a named copy, a pool's replica) cannot leave one out; returns it.
    /// </summary>
    internal T CopyResourcesTo<T>(T target)
        where T : ResourceOptions
    {
        target.Cpus = Cpus;
        target.Gpus = Gpus;
        target.MemoryBytes = MemoryBytes;
        target.Resources = new Dictionary<string, double>(Resources);
        target.Placement = Placement;
        target.PlacementGroup = PlacementGroup;
        target.BundleIndex = BundleIndex;
        return target;
    }

    internal virtual void Validate()
    {
        if (Cpus is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Cpus), Cpus, "Cpus must be 0 or more.");
        }

        if (Gpus < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Gpus), Gpus, "Gpus must be 0 or more.");
        }

        if (Gpus > 1 && Gpus != Math.Floor(Gpus))
        {
            throw new ArgumentOutOfRangeException(nameof(Gpus), Gpus, "A request above one GPU must be a whole number; fractions (0.5) only share a single device.");
        }

        if (MemoryBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "MemoryBytes must be 0 or more.");
        }

        if (BundleIndex is { } index && (PlacementGroup is null || index < 0 || index >= PlacementGroup.Bundles.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(BundleIndex), BundleIndex, PlacementGroup is null
                ? "BundleIndex needs PlacementGroup to be set."
                : $"BundleIndex must be between 0 and {PlacementGroup.Bundles.Count - 1} for {PlacementGroup}.");
        }

        foreach (var (name, amount) in Resources)
        {
            if (string.IsNullOrWhiteSpace(name) || amount < 0)
            {
                throw new ArgumentException($"Custom resource '{name}' = {amount} is invalid: names must be non-empty and amounts 0 or more.", nameof(Resources));
            }
        }
    }
}
