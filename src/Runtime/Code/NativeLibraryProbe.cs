using System.Runtime.InteropServices;

namespace Granary.Runtime.Code;

/// <summary>
/// Finds the native libraries of a job's shipped assemblies on this node. Managed code travels with the job,
/// but native libraries (libtorch is about 500 MB) do not: a node finds them where its own build put them,
/// beside its assemblies or under runtimes/RID/native (where an application referencing the package has them,
/// and where an embedded cluster's worker processes run from), or in the folders of GRANARY_NATIVE_PATH.
/// Assemblies loaded from bytes have no folder of their own, so without this the runtime's search, and
/// libraries' own fallbacks that look beside the assembly, find nothing.
/// </summary>
internal static class NativeLibraryProbe
{
    /// <summary>Folders (separated by the platform's path separator) searched before the node's own.</summary>
    public const string PathVariable = "GRANARY_NATIVE_PATH";

    private static readonly Lazy<string[]> _folders = new(Folders);

    /// <summary>The full path of the library <paramref name="name"/> asks for, or null when no folder has it.</summary>
    public static string? Find(string name)
    {
        if (string.IsNullOrEmpty(name) || Path.IsPathRooted(name) || name.Contains(Path.DirectorySeparatorChar))
        {
            return null;
        }

        foreach (var folder in _folders.Value)
        {
            foreach (var candidate in FileNames(name))
            {
                var path = Path.Combine(folder, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    /// <summary>The file names a DllImport-style name may have on this platform ("torch" is libtorch.so on Linux).</summary>
    internal static IEnumerable<string> FileNames(string name)
    {
        var (prefix, suffix) = OperatingSystem.IsWindows() ? (string.Empty, ".dll")
            : OperatingSystem.IsMacOS() ? ("lib", ".dylib")
            : ("lib", ".so");
        var hasSuffix = name.EndsWith(suffix, StringComparison.Ordinal) || name.Contains(suffix + ".", StringComparison.Ordinal);
        yield return name;
        if (!hasSuffix)
        {
            yield return name + suffix;
        }

        if (prefix.Length > 0 && !name.StartsWith(prefix, StringComparison.Ordinal))
        {
            yield return prefix + name;
            if (!hasSuffix)
            {
                yield return prefix + name + suffix;
            }
        }
    }

    private static string[] Folders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured)
        {
            folders.AddRange(configured.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var baseDirectory = AppContext.BaseDirectory;
        folders.Add(baseDirectory);
        folders.Add(Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"));
        return [.. folders.Distinct(StringComparer.Ordinal).Where(Directory.Exists)];
    }
}
