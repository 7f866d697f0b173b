using System.Collections;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Granary.TorchSharp.Tests;

/// <summary>
/// The build step that makes libLibTorchSharp.so load where the system's libstdc++ is older than TorchSharp's
/// build wants (Debian 12): it weakens exactly the missing versions, in a copy, and does nothing where the
/// system is new enough. The package cache's file is never touched.
/// </summary>
public sealed class LibStdCxxPatchTests : IDisposable
{
    private const string NewestWanted = "GLIBCXX_3.4.32";
    private readonly string _folder = Directory.CreateTempSubdirectory("granary-patch-").FullName;

    private static string PackageLibrary => Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string BuiltLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_package_asks_for_a_version_and_the_built_copy_has_it_weak_exactly_when_the_system_lacks_it()
    {
        var package = Requirements(PackageLibrary);
        Assert.False(package[NewestWanted], "the package cache's copy is left as shipped");

        var systemHasIt = File.ReadAllText(SystemLibStdCxx()).Contains(NewestWanted + "\0", StringComparison.Ordinal);
        var built = Requirements(BuiltLibrary);
        Assert.Equal(!systemHasIt, built[NewestWanted]);

        // Nothing else changed: the same requirements, and every other one as the package has it.
        Assert.Equal(package.Keys.Order(), built.Keys.Order());
        Assert.All(package.Where(p => p.Key != NewestWanted), p => Assert.Equal(p.Value, built[p.Key]));
    }

    [Fact]
    public void Against_a_libstdcxx_missing_versions_only_those_are_weakened_in_a_copy_under_the_output_folder()
    {
        var oldSystem = FakeSystem("GLIBCXX_3.4.30");
        var (replaced, task) = Run(oldSystem);

        var copy = Assert.Single(replaced);
        Assert.StartsWith(_folder, copy.ItemSpec);
        Assert.Equal("linux-x64", copy.GetMetadata("RuntimeIdentifier"));
        var weakened = Requirements(copy.ItemSpec).Where(r => r.Value).Select(r => r.Key).ToList();
        Assert.Contains(NewestWanted, weakened);
        Assert.DoesNotContain("GLIBCXX_3.4.30", weakened);
        Assert.True(task.Log.HasLoggedErrors is false);
    }

    [Fact]
    public void Against_a_new_enough_libstdcxx_nothing_is_replaced()
    {
        var (replaced, _) = Run(FakeSystem(Requirements(PackageLibrary).Keys.ToArray()));
        Assert.Empty(replaced);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    private (ITaskItem[] Replaced, GranaryWeakenMissingLibStdCxxVersions Task) Run(string systemLibrary)
    {
        var native = new TaskItem(PackageLibrary);
        native.SetMetadata("RuntimeIdentifier", "linux-x64");
        var task = new GranaryWeakenMissingLibStdCxxVersions
        {
            BuildEngine = new QuietBuildEngine(),
            Natives = [native],
            OutputDirectory = Path.Combine(_folder, "out"),
            SystemLibrary = systemLibrary,
        };
        Assert.True(task.Execute());
        if (task.Replaced.Length == 0 && Directory.Exists(Path.Combine(_folder, "out")))
        {
            Assert.Fail("nothing was replaced, yet the task wrote files");
        }

        File.Delete(systemLibrary);
        return (task.Replaced, task);
    }

    /// <summary>A stand-in "libstdc++" that defines just these version names (all the task looks for).</summary>
    private string FakeSystem(params string[] versions)
    {
        var path = Path.Combine(_folder, "libstdc++.so.6");
        File.WriteAllText(path, string.Concat(versions.Select(v => "\0" + v + "\0")));
        return path;
    }

    private static Dictionary<string, bool> Requirements(string library) =>
        GranaryWeakenMissingLibStdCxxVersions.LibStdCxxRequirements(File.ReadAllBytes(library)).ToDictionary(p => p.Key, p => p.Value);

    private static string SystemLibStdCxx() =>
        File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length == 6 && Path.GetFileName(p[5]).StartsWith("libstdc++.so", StringComparison.Ordinal)).Select(p => p[5]).First();

    private sealed class QuietBuildEngine : IBuildEngine
    {
        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => string.Empty;

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;

        public void LogCustomEvent(CustomBuildEventArgs e)
        {
        }

        public void LogErrorEvent(BuildErrorEventArgs e) => throw new InvalidOperationException(e.Message);

        public void LogMessageEvent(BuildMessageEventArgs e)
        {
        }

        public void LogWarningEvent(BuildWarningEventArgs e)
        {
        }
    }
}
