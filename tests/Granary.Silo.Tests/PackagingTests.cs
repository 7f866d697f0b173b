using System.Diagnostics;
using System.Reflection;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// The packages as a user gets them: the Granary.Cli tool installed from a pack folder, and a console app
/// that references the Granary.Client package and nothing of this checkout. Each packs this build's outputs
/// (`--no-build`, the test's own configuration: the test project builds src/Tool for that), so it checks
/// what `dotnet pack Runtime.sln` ships without building anything twice. In the process-cluster collection:
/// a build beside a cluster of silo processes on a small machine would starve their heartbeats.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class PackagingTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>For all of one test's commands together: far above the ~20-60 s they take, far below a hung run.</summary>
    private static readonly TimeSpan PackAndInstall = TimeSpan.FromMinutes(5);

    /// <summary>The package version of this build: the informational version without its "+commit".</summary>
    private static readonly string Version = typeof(GranaryCommand).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private readonly CancellationTokenSource _deadline = new(PackAndInstall);

    [Fact]
    public async Task The_tool_installs_from_the_pack_folder_and_prints_its_version()
    {
        var folder = Directory.CreateTempSubdirectory("granary-tool-");
        try
        {
            var pack = Path.Combine(folder.FullName, "pack");
            var tools = Path.Combine(folder.FullName, "tools");
            await DotnetAsync(folder.FullName, "pack", Project("src/Tool/Granary.Cli.csproj"), "--no-build", "-c", Configuration, "-o", pack, NuspecsIn(folder));
            await DotnetAsync(folder.FullName, "tool", "install", "--tool-path", tools, "--add-source", pack, "Granary.Cli", "--version", Version);

            var version = await ProcessRun.RunAsync(new ProcessStartInfo(Path.Combine(tools, "granary"), "--version"), TimeSpan.FromSeconds(60), "granary --version", _deadline.Token);
            Assert.True(version.ExitCode == 0, version.Output);
            Assert.Equal(GranaryCommand.VersionLine, version.Stdout.Trim());
            Assert.StartsWith($"granary {Version}", version.Stdout);

            // What `granary run` loads by name (CommandLineClients), and what worker processes start from:
            // `dotnet granary.dll worker` needs granary's runtimeconfig, and a `granary` apphost there would be
            // taken for the worker executable although the package cannot keep it executable.
            var installed = Directory.GetFiles(Path.Combine(tools, ".store"), "granary.dll", SearchOption.AllDirectories).Single();
            var toolFolder = Path.GetDirectoryName(installed)!;
            Assert.True(File.Exists(Path.Combine(toolFolder, "Granary.Client.dll")), "the tool carries Granary.Client.dll");
            Assert.True(File.Exists(Path.Combine(toolFolder, "granary.runtimeconfig.json")), "the tool carries granary.runtimeconfig.json");
            Assert.False(File.Exists(Path.Combine(toolFolder, "granary")), "the tool carries no granary apphost");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_console_app_referencing_the_client_package_runs_a_task_in_a_worker_process()
    {
        var folder = Directory.CreateTempSubdirectory("granary-consumer-");
        try
        {
            // A version of this run's own, so no package of that name and version can already sit in a cache.
            var version = $"{Version}-test.{Guid.NewGuid():N}";
            var pack = Path.Combine(folder.FullName, "pack");
            foreach (var project in new[] { "src/Runtime/Granary.Runtime.csproj", "src/Grains/Granary.Grains.csproj", "src/Silo/Granary.Silo.csproj", "src/Client/Granary.Client.csproj" })
            {
                await DotnetAsync(folder.FullName, "pack", Project(project), "--no-build", "-c", Configuration, "-o", pack, NuspecsIn(folder), $"-p:Version={version}");
            }

            var app = Path.Combine(folder.FullName, "app");
            ConsumerApp.Write(app, pack, version, Path.Combine(folder.FullName, "packages"));
            var run = await DotnetAsync(app, "run", "--project", app);
            Assert.Contains("square=49", run.Stdout);
            Assert.Contains("worker process: True", run.Stdout);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public void Dispose() => _deadline.Dispose();

    private static string Configuration =>
        typeof(PackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>Each pack writes a .nuspec; into the test's folder, not the checkout's obj/, so none pile up there.</summary>
    private static string NuspecsIn(DirectoryInfo folder) => $"-p:NuspecOutputPath={Path.Combine(folder.FullName, "nuspec")}/";

    private static string Project(string relativePath) => Path.Combine(RepoFiles.Root, relativePath);

    private async Task<ProcessResult> DotnetAsync(string workingDirectory, params string[] arguments)
    {
        var start = DotnetCommand.StartInfo(workingDirectory, arguments);

        var what = "dotnet " + string.Join(' ', arguments.Take(2));
        var clock = Stopwatch.StartNew();
        var result = await ProcessRun.RunAsync(start, PackAndInstall, what, _deadline.Token);
        output.WriteLine($"{what}: exit {result.ExitCode} in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(result.ExitCode == 0, $"`{what}` exited with {result.ExitCode}:\n{result.Output}");
        return result;
    }
}
