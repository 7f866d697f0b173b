using System.Reflection;
using System.Runtime.Loader;

namespace Granary.Silo;

/// <summary>
/// Finds Granary.Client's <see cref="ICommandLineConnector"/> for `granary run`. Granary.Client references
/// this assembly (LocalCluster starts silos), so the reference cannot go the other way; the connector is
/// loaded by name instead: from the app's own dependencies when it has them, else from Granary.Client.dll
/// beside granary.dll, as a silo loads it for TaskContext.Client. Stateless, so thread-safe.
/// </summary>
internal static class CommandLineClients
{
    /// <summary>The implementing type, in Granary.Client; a test keeps this name in step with the type.</summary>
    public const string ConnectorTypeName = "Granary.Client.Cli.CommandLineConnector";

    private const string ClientAssemblyName = "Granary.Client";

    public static ICommandLineConnector Load()
    {
        var type = ClientAssembly().GetType(ConnectorTypeName, throwOnError: false)
            ?? throw new InvalidOperationException($"{ClientAssemblyName}.dll has no {ConnectorTypeName}: it is from another build than this granary. Use the two from one build.");
        return Activator.CreateInstance(type, nonPublic: true) as ICommandLineConnector
            ?? throw new InvalidOperationException($"{ConnectorTypeName} does not implement {nameof(ICommandLineConnector)}: {ClientAssemblyName}.dll is from another build than this granary. Use the two from one build.");
    }

    private static Assembly ClientAssembly()
    {
        try
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(ClientAssemblyName));
        }
        catch (FileNotFoundException)
        {
            var folder = Path.GetDirectoryName(typeof(CommandLineClients).Assembly.Location) ?? AppContext.BaseDirectory;
            var path = Path.Combine(folder, ClientAssemblyName + ".dll");
            return File.Exists(path)
                ? AssemblyLoadContext.Default.LoadFromAssemblyPath(path)
                : throw new InvalidOperationException(
                    $"`granary run` submits its commands through {ClientAssemblyName}, and there is no {ClientAssemblyName}.dll in {folder}. " +
                    "Run the granary of a build that references Granary.Client (an app's, or tests/Granary.Silo.Tests'), which puts it there.");
        }
    }
}
