namespace Granary.Grains.Hosting;

/// <summary>How Granary names things in Orleans: a silo's Orleans name is its node id; metadata marks the head.</summary>
internal static class SiloNames
{
    public const string RoleKey = "granary.role";

    public const string HeadRole = "head";

    public const string WorkerRole = "worker";
}
