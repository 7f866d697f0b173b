using System.Reflection;
using System.Runtime.Loader;

namespace Granary.Runtime.Code;

/// <summary>
/// A collectible load context holding one job's shipped assemblies, so a silo can run many jobs with
/// different versions of the same code and drop a job's code when it ends. Granary's own assemblies and
/// the shared framework always come from the host, so contract types (ObjectRef, TaskContext) are shared.
/// </summary>
internal sealed class JobLoadContext : AssemblyLoadContext
{
    private readonly Func<AssemblyName, byte[]?> _findShipped;

    public JobLoadContext(string jobId, Func<AssemblyName, byte[]?> findShipped)
        : base(ContextName(jobId), isCollectible: true)
    {
        _findShipped = findShipped;
    }

    public static string ContextName(string jobId) => "granary-job-" + jobId;

    private static readonly HashSet<string> _granaryAssemblies = new(StringComparer.OrdinalIgnoreCase)
    {
        "Granary.Runtime", "Granary.Grains", "Granary.Client", "granary", "Google.Protobuf",
    };

    /// <summary>
    /// Granary's own assemblies (and its wire library), which must resolve to the host's copy so contract
    /// types are the same on both sides. User assemblies named Granary.* are not among them.
    /// </summary>
    public static bool IsGranaryAssembly(string? simpleName) => simpleName is not null && _granaryAssemblies.Contains(simpleName);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsGranaryAssembly(assemblyName.Name))
        {
            return null;
        }

        var bytes = _findShipped(assemblyName);
        return bytes is null ? null : LoadFromStream(new MemoryStream(bytes, writable: false));
    }
}
