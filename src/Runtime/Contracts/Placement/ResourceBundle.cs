namespace Granary;

/// <summary>One bundle of a placement group: resources reserved together on one node.</summary>
public sealed class ResourceBundle : ResourceOptions
{
    public ResourceBundle()
    {
    }

    public ResourceBundle(double cpus, double gpus = 0)
    {
        Cpus = cpus;
        Gpus = gpus;
    }
}
