using System.Diagnostics;

namespace Granary.Client.Tests;

/// <summary>
/// A .NET 10 file-based app, the script a notebook user writes (<c>dotnet run app.cs</c> with
/// <c>#:project</c>), run with its default settings. Those turn off dynamic code and reflection-based
/// System.Text.Json, so this proves values (a record of the script's own, refs inside a value) travel without
/// either. It builds the script against this checkout's client project, so it takes some seconds.
/// </summary>
public sealed class FileBasedAppTests
{
    private const string Script = """
        #:project CLIENT_PROJECT
        using System.Runtime.CompilerServices;
        using Granary;

        await using var cluster = await LocalCluster.StartAsync();
        var square = await cluster.Remote(() => Jobs.Square(7));
        var moved = await cluster.Remote(() => Jobs.Move(new Point(1, 2), 3));
        List<ObjectRef<int>> parts = [cluster.Put(20), cluster.Remote(() => Jobs.Square(5))];
        var sum = await cluster.Remote(() => Jobs.Sum(parts));
        Console.WriteLine($"dynamic code: {RuntimeFeature.IsDynamicCodeSupported}");
        Console.WriteLine($"square={square} moved={moved} sum={sum}");

        static class Jobs
        {
            public static int Square(int x) => x * x;

            public static Point Move(Point point, int dx) => point with { X = point.X + dx };

            public static async Task<int> Sum(List<ObjectRef<int>> parts)
            {
                var total = 0;
                foreach (var part in parts)
                {
                    total += await part;
                }

                return total;
            }
        }

        record Point(int X, int Y);
        """;

    // The script's default settings report dynamic code unsupported; Granary's hosts still start Orleans there
    // (NoDynamicCodeServiceProviderFactory says how). The run is bounded: a script that hangs is killed, with its tree.
    [Fact]
    public async Task A_file_based_app_with_default_settings_runs_remote_calls()
    {
        var folder = Directory.CreateTempSubdirectory("granary-script-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "app.cs"), Script.Replace("CLIENT_PROJECT", ClientProject()));
            var (exitCode, output) = await RunAsync(folder.FullName, TimeSpan.FromMinutes(4));

            Assert.True(exitCode == 0, $"dotnet run app.cs exited with {exitCode}:\n{output}");
            Assert.Contains("dynamic code: False", output);
            Assert.Contains("square=49 moved=Point { X = 4, Y = 2 } sum=45", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The client project of this checkout, found above the test's output folder.</summary>
    private static string ClientProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var project = Path.Combine(dir.FullName, "src", "Client", "Granary.Client.csproj");
            if (File.Exists(project))
            {
                return project;
            }
        }

        throw new InvalidOperationException($"src/Client/Granary.Client.csproj was not found above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string folder, TimeSpan timeout)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        // The same configuration as this test's build, so the referenced projects are already up to date; the
        // script's own build output inside its folder, so it goes when the folder does.
        var start = DotnetCommand.StartInfo(folder, new[] { "run", "app.cs", "-c", configuration, "--artifacts-path", Path.Combine(folder, "artifacts") });

        var run = await ProcessRun.RunAsync(start, timeout, "dotnet run app.cs");
        return (run.ExitCode, run.Output);
    }
}
