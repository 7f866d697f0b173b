namespace Granary.Silo.Tests;

/// <summary>
/// Writes a console app that knows Granary only as the Granary.Client package of a pack folder: it starts a
/// LocalCluster, runs one task in the silo and one in a worker process (`dotnet granary.dll worker` from the
/// app's bin/, which needs the runtimeconfig that the Granary.Silo package delivers), and prints both.
/// Empty Directory.Build.* files keep whatever lies above the temp folder out of its build.
/// </summary>
internal static class ConsumerApp
{
    private const string ProjectFile = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <RestorePackagesPath>PACKAGES</RestorePackagesPath>
            <RestoreFallbackFolders>FALLBACK</RestoreFallbackFolders>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Granary.Client" Version="VERSION" />
          </ItemGroup>
        </Project>
        """;

    // Added to the sources the machine's NuGet configuration already has, which serve Orleans and the rest.
    private const string NuGetConfig = """
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="granary-test-pack" value="PACK" />
          </packageSources>
        </configuration>
        """;

    private const string Program = """
        using Granary;

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Silos = 1 });
        var square = await cluster.Remote(() => Jobs.Square(7));
        var pid = await cluster.Remote(() => Jobs.ProcessId(), new RemoteOptions { Isolation = Isolation.Process, MaxRetries = 0 });
        Console.WriteLine($"square={square}");
        Console.WriteLine($"worker process: {pid != Environment.ProcessId}");

        static class Jobs
        {
            public static int Square(int x) => x * x;

            public static int ProcessId() => Environment.ProcessId;
        }
        """;

    /// <summary>
    /// The packages restore into <paramref name="packages"/> (deleted with the test's folder), with the user's
    /// global packages folder as a read-only fallback so Orleans and the rest are not extracted again.
    /// </summary>
    public static void Write(string folder, string packFolder, string version, string packages)
    {
        Directory.CreateDirectory(folder);
        var fallback = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), ProjectFile
            .Replace("PACKAGES", packages, StringComparison.Ordinal)
            .Replace("FALLBACK", fallback, StringComparison.Ordinal)
            .Replace("VERSION", version, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "nuget.config"), NuGetConfig.Replace("PACK", packFolder, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program);
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(folder, name), "<Project />");
        }
    }
}
