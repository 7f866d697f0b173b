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
        "Granary.Runtime", "Granary.Grains", "Granary.Client", "granary",
    };

    // Granary's own assemblies and everything they reference (Orleans, protobuf, Microsoft.Extensions...),
    // found once by walking the references: every silo has them, so they are neither shipped nor loaded twice.
    private static readonly Lazy<HashSet<string>> _hostAssemblies = new(FindHostAssemblies);

    /// <summary>
    /// Granary's own assemblies and their dependencies, which must resolve to the host's copy so contract
    /// types are the same on both sides. User assemblies named Granary.* are not among them.
    /// </summary>
    public static bool IsGranaryAssembly(string? simpleName) => simpleName is not null && _hostAssemblies.Value.Contains(simpleName);

    private static HashSet<string> FindHostAssemblies()
    {
        var found = new HashSet<string>(_granaryAssemblies, StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>();
        foreach (var assembly in AssemblyLoadContext.Default.Assemblies)
        {
            if (_granaryAssemblies.Contains(assembly.GetName().Name ?? string.Empty))
            {
                pending.Push(assembly);
            }
        }

        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is not { } name || !found.Add(name))
                {
                    continue;
                }

                try
                {
                    pending.Push(AssemblyLoadContext.Default.LoadFromAssemblyName(reference));
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // An optional dependency that is not deployed: its name is still the host's.
                }
            }
        }

        return found;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsGranaryAssembly(assemblyName.Name))
        {
            return IsClient(assemblyName) ? HostClient(assemblyName) : null;
        }

        var bytes = _findShipped(assemblyName);
        if (bytes is null)
        {
            return null;
        }

        return HostCopy(assemblyName, bytes) ?? LoadFromStream(new MemoryStream(bytes, writable: false));
    }

    /// <summary>A native library a shipped assembly asks for, from this node's own folders (see <see cref="NativeLibraryProbe"/>).</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        NativeLibraryProbe.Find(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    private static bool IsClient(AssemblyName name) => string.Equals(name.Name, "Granary.Client", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Granary.Client for job code that submits work from inside the cluster (TaskContext.Client). A silo or
    /// worker process started as `granary` does not list it among its dependencies, so it is loaded into the
    /// host's context from beside Granary's own assemblies, where a build that references Granary.Client puts it.
    /// Shared with the host, so every job on the node sees the same GranaryClient type.
    /// </summary>
    private static Assembly HostClient(AssemblyName name)
    {
        try
        {
            return Default.LoadFromAssemblyName(name);
        }
        catch (FileNotFoundException)
        {
            var path = Path.Combine(Path.GetDirectoryName(typeof(JobLoadContext).Assembly.Location) ?? string.Empty, "Granary.Client.dll");
            return File.Exists(path)
                ? Default.LoadFromAssemblyPath(path)
                : throw new CodeLoadException($"The job's code uses Granary.Client (TaskContext.Client), which this node lacks: put Granary.Client.dll beside {Path.GetFileName(typeof(JobLoadContext).Assembly.Location)} in {Path.GetDirectoryName(path)}, or run the node from a build that references Granary.Client.");
        }
    }

    /// <summary>
    /// A shipped assembly with Orleans code generation that this process already runs (a client and an
    /// embedded cluster share a process) is taken from the host: Orleans scans every load context when a
    /// silo or client starts, and a second copy in a context being unloaded would make that start fail.
    /// Only the very same build (same module version id) is taken, so another version still gets its own
    /// context.
    /// </summary>
    private static Assembly? HostCopy(AssemblyName name, byte[] bytes)
    {
        foreach (var loaded in Default.Assemblies)
        {
            if (loaded.FullName == name.FullName && loaded.IsDefined(typeof(Orleans.ApplicationPartAttribute)) && loaded.ManifestModule.ModuleVersionId == ModuleVersionId(bytes))
            {
                return loaded;
            }
        }

        return null;
    }

    private static Guid ModuleVersionId(byte[] bytes)
    {
        using var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(bytes, writable: false));
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }
}
